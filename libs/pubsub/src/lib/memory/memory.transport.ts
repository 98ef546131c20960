import { NoRespondersError, RequestTimeoutError } from '../errors';
import { assertHeaders } from '../header-rules';
import { Limiter } from '../limiter';
import type { Delivery, Envelope } from '../message';
import { subjectMatches } from '../subject';
import type { ConsumerSpec, Delivered, Processor, Responder, Subscription, Transport } from '../transport';

interface Member {
  readonly limiter: Limiter;
  closed: boolean;
}

interface Consumer extends Member {
  readonly processor: Processor;
  readonly capacity: number;
  busy: number;
}

interface Replier extends Member {
  readonly responder: Responder;
}

/** Subscribers of one group on one pattern; each message goes to one member, round-robin. */
class Group<M extends Member = Consumer> {
  readonly members: M[] = [];
  private next = 0;

  constructor(
    readonly pattern: string,
    readonly name: string,
  ) {}

  pick(available: (member: M) => boolean): M | undefined {
    for (let i = 0; i < this.members.length; i++) {
      const member = this.members[(this.next + i) % this.members.length];
      if (available(member)) {
        this.next = (this.next + i + 1) % this.members.length;
        return member;
      }
    }
    return undefined;
  }
}

/** A message as the broker stores it: like a stream, numbered from 1 and timestamped. */
interface Stored {
  readonly envelope: Envelope;
  readonly sequence: number;
  readonly time: number;
}

interface Queued {
  readonly stored: Stored;
  readonly attempt: number;
  readonly replayed?: boolean;
}

/** The durable side of a group (JetStream's consumer): keeps what no member has taken yet. */
class Durable extends Group {
  readonly queue: Queued[] = [];
  readonly timers = new Set<NodeJS.Timeout>();
}

/**
 * An in-process broker with the semantics of NATS + JetStream: groups fan out and load-balance,
 * at-least-once messages wait for a subscriber that is down, failures are redelivered after the
 * delay the library asks for. Share one broker between the PubSub instances of a unit test.
 */
export class MemoryBroker {
  private readonly live = new Map<string, Group>();
  private readonly durables = new Map<string, Durable>();
  private readonly responders = new Map<string, Group<Replier>>();
  private readonly log: Stored[] = [];
  private readonly seen = new Set<string>();

  /**
   * Every subject counts as stored, as if a stream covered it: on NATS too a plain publish to a
   * stream's subject is stored, only the publisher does not wait for it (`delivery`).
   */
  publish(envelope: Envelope, delivery: Delivery, dedupId?: string): void {
    // Like JetStream, only a publish that waits for the store is de-duplicated by its id.
    if (delivery === 'at-least-once' && dedupId) {
      if (this.seen.has(dedupId)) return;
      this.seen.add(dedupId);
    }
    const stored = { envelope, sequence: this.log.length + 1, time: Date.now() };
    this.log.push(stored);
    for (const durable of this.durables.values()) {
      if (subjectMatches(durable.pattern, envelope.subject)) {
        durable.queue.push({ stored, attempt: 1 });
        this.dispatch(durable);
      }
    }
    // Like core NATS, live (at-most-once) subscribers see every publish, stored or not.
    for (const group of this.live.values()) {
      if (!subjectMatches(group.pattern, envelope.subject)) continue;
      const member = group.pick((m) => !m.closed);
      if (member) void member.limiter.run(() => member.processor({ ...envelope, attempt: 1 }));
    }
  }

  subscribe(spec: ConsumerSpec, processor: Processor): Subscription {
    const member: Consumer = { processor, limiter: new Limiter(spec.concurrency), busy: 0, capacity: spec.concurrency, closed: false };
    const key = `${spec.group}|${spec.subject}`;
    if (spec.delivery === 'at-most-once') {
      const group = this.live.get(key) ?? new Group(spec.subject, spec.group);
      this.live.set(key, group);
      group.members.push(member);
      return this.membership(spec, group, member);
    }
    let durable = this.durables.get(key);
    if (!durable) {
      durable = new Durable(spec.subject, spec.group);
      this.durables.set(key, durable);
      const from = spec.from;
      const starts = (stored: Stored) =>
        from === 'all' || (from !== 'new' && ('sequence' in from ? stored.sequence >= from.sequence : stored.time >= from.time.getTime()));
      for (const stored of this.log) {
        if (starts(stored) && subjectMatches(spec.subject, stored.envelope.subject)) durable.queue.push({ stored, attempt: 1 });
      }
    }
    durable.members.push(member);
    this.dispatch(durable);
    return this.membership(spec, durable, member);
  }

  /**
   * What `npm run replay` does on NATS: every stored message of the group's subjects (since `since`) is
   * delivered to the group again, marked replayed; `target` is a group or a service (all its groups).
   * Returns how many deliveries it queued.
   */
  replay(target: string, { since }: { since?: Date } = {}): number {
    let queued = 0;
    for (const durable of this.durables.values()) {
      if (durable.name !== target && !durable.name.startsWith(`${target}.`)) continue;
      for (const stored of this.log) {
        if (since && stored.time < since.getTime()) continue;
        if (!subjectMatches(durable.pattern, stored.envelope.subject)) continue;
        durable.queue.push({ stored, attempt: 1, replayed: true });
        queued++;
      }
      this.dispatch(durable);
    }
    return queued;
  }

  respond(subject: string, group: string, responder: Responder): Subscription {
    const key = `${group}|${subject}`;
    const entry = this.responders.get(key) ?? new Group<Replier>(subject, group);
    this.responders.set(key, entry);
    const member: Replier = { responder, limiter: new Limiter(Number.MAX_SAFE_INTEGER), closed: false };
    entry.members.push(member);
    return this.membership({ subject, group }, entry, member);
  }

  async request(envelope: Envelope, timeoutMs: number): Promise<Envelope> {
    const group = [...this.responders.values()].find((g) => g.members.length > 0 && subjectMatches(g.pattern, envelope.subject));
    const member = group?.pick((m) => !m.closed);
    if (!member) throw new NoRespondersError(envelope.subject);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RequestTimeoutError(envelope.subject, timeoutMs)), timeoutMs);
    });
    const reply = member.limiter.run(() => member.responder.answer(envelope));
    try {
      return { subject: envelope.subject, ...(await Promise.race([reply, expired])) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hands queued messages to members with a free slot; called whenever either changes. */
  private dispatch(durable: Durable): void {
    while (durable.queue.length > 0) {
      const member = durable.pick((m) => !m.closed && m.busy < m.capacity);
      if (!member) return;
      const item = durable.queue.shift()!;
      member.busy++;
      // Through the member's limiter, so its close() waits for this delivery too.
      void member.limiter.run(() => this.deliver(durable, member, item));
    }
  }

  private async deliver(durable: Durable, member: Consumer, item: Queued): Promise<void> {
    // Asynchronous like a network hop, so a publisher never runs its subscribers' code inline.
    await new Promise((resolve) => setImmediate(resolve));
    if (member.closed) {
      // It left before the message reached it: the message waits for the next member, as on NATS.
      member.busy--;
      durable.queue.unshift(item);
      return;
    }
    const delivered: Delivered = { ...item.stored.envelope, attempt: item.attempt, sequence: item.stored.sequence, replayed: item.replayed };
    const outcome = await member.processor(delivered).catch(() => ({ kind: 'retry', delayMs: 1_000 }) as const);
    member.busy--;
    if (outcome.kind === 'retry') {
      const timer = setTimeout(() => {
        durable.timers.delete(timer);
        durable.queue.push({ ...item, attempt: item.attempt + 1 });
        this.dispatch(durable);
      }, outcome.delayMs);
      durable.timers.add(timer);
    }
    this.dispatch(durable);
  }

  private membership<M extends Member>(spec: { subject: string; group: string }, group: Group<M>, member: M): Subscription {
    return {
      subject: spec.subject,
      group: spec.group,
      close: async () => {
        if (member.closed) return;
        member.closed = true;
        group.members.splice(group.members.indexOf(member), 1);
        await member.limiter.idle();
        if (group instanceof Durable) this.dispatch(group);
      },
    };
  }

  /** Cancels pending redeliveries so a test's process can exit. */
  shutdown(): void {
    for (const durable of this.durables.values()) {
      for (const timer of durable.timers) clearTimeout(timer);
      durable.timers.clear();
    }
  }
}

/** One client's view of a MemoryBroker; a PubSub over it behaves as over NATS, without a server. */
export class MemoryTransport implements Transport {
  constructor(readonly broker: MemoryBroker = new MemoryBroker()) {}

  async publish(envelope: Envelope, delivery: Delivery, dedupId = envelope.headers['ce-id']): Promise<void> {
    assertHeaders(envelope.headers);
    // Copies, as a network would: a publisher mutating its buffer later must not change what was sent.
    this.broker.publish({ ...envelope, data: envelope.data.slice(), headers: { ...envelope.headers } }, delivery, dedupId);
  }

  async subscribe(spec: ConsumerSpec, processor: Processor): Promise<Subscription> {
    return this.broker.subscribe(spec, processor);
  }

  request(envelope: Envelope, timeoutMs: number): Promise<Envelope> {
    return this.broker.request(envelope, timeoutMs);
  }

  async respond(subject: string, group: string, responder: Responder): Promise<Subscription> {
    return this.broker.respond(subject, group, responder);
  }

  async ping(): Promise<void> {
    // The broker lives in this process: it is reachable while the transport is.
  }

  async close(): Promise<void> {
    // Nothing to flush: publishes are delivered synchronously into the broker.
  }
}
