import type { LiveSink } from './live-client';
import { cursorOf, KEEP_ALIVE, seqOfCursor, type LiveEvent } from './live-event';
import { LiveHub } from './live-hub';

/** A connection that takes `capacity` frames before it is full, until `drain()`. */
class RecordingSink implements LiveSink {
  readonly frames: string[] = [];
  ended = false;
  destroyed = false;
  private drainListener: () => void = () => undefined;
  private inBuffer = 0;

  constructor(private readonly capacity = Infinity) {}

  write(chunk: string): boolean {
    this.frames.push(chunk);
    return ++this.inBuffer < this.capacity;
  }
  onDrain(listener: () => void): void {
    this.drainListener = listener;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** The client read what was buffered. */
  drain(): void {
    this.inBuffer = 0;
    this.drainListener();
  }
}

const event = (ownerId: string, seq?: number): LiveEvent => ({ ownerId, seq, frame: `${seq ?? 'progress'}` });

describe('LiveHub and LiveClient: dispatch by owner, resume without gaps or repeats, bounded memory', () => {
  let hub: LiveHub;
  const closed: string[] = [];
  beforeEach(() => {
    closed.length = 0;
    hub = new LiveHub({ keepAliveMs: 60_000, queueLimit: 3, onClose: (client, reason) => void closed.push(`${client.ownerId} ${reason}`) });
  });
  afterEach(() => hub.stop());

  it("gives each stream its owner's events only, in order", () => {
    const [ada, ada2, bob] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    hub.open('ada', ada);
    hub.open('ada', ada2);
    hub.open('bob', bob);
    for (const e of [event('ada', 1), event('bob', 2), event('ada'), event('ada', 3)]) hub.dispatch(e);
    expect(ada.frames).toEqual(['1', 'progress', '3']);
    expect(ada2.frames).toEqual(['1', 'progress', '3']);
    expect(bob.frames).toEqual(['2']);
    expect(hub.size).toBe(3);
  });

  it('resumes: the replayed events, then the held live ones it did not have, then live, each once', () => {
    const sink = new RecordingSink();
    const client = hub.open('ada', sink, 10);
    // The feed runs ahead while the resume reads the stream: 12 and 13 arrive both ways.
    hub.dispatch(event('ada', 12));
    hub.dispatch(event('ada'));
    hub.dispatch(event('ada', 13));
    expect(sink.frames).toEqual([]);
    for (const seq of [11, 12, 13]) client.replayed(event('ada', seq));
    client.caughtUp();
    hub.dispatch(event('ada', 13));
    hub.dispatch(event('ada', 14));
    expect(sink.frames).toEqual(['11', '12', '13', 'progress', '14']);
  });

  it('queues what a slow connection does not take yet, and sends it in order when it drains', () => {
    const sink = new RecordingSink(1);
    hub.open('ada', sink);
    for (const seq of [1, 2, 3]) hub.dispatch(event('ada', seq));
    expect(sink.frames).toEqual(['1']);
    sink.drain();
    expect(sink.frames).toEqual(['1', '2']);
    sink.drain();
    sink.drain();
    expect(sink.frames).toEqual(['1', '2', '3']);
    expect(closed).toEqual([]);
  });

  it('disconnects a client whose queue is full, forgets it, and the others go on', () => {
    const [slow, fast] = [new RecordingSink(1), new RecordingSink()];
    hub.open('ada', slow);
    hub.open('ada', fast);
    // One in the connection's buffer, three queued (the limit), the fifth is one too many.
    for (let seq = 1; seq <= 5; seq++) hub.dispatch(event('ada', seq));
    expect(slow.destroyed).toBe(true);
    expect(closed).toEqual(['ada too slow']);
    expect(hub.size).toBe(1);
    hub.dispatch(event('ada', 6));
    expect(fast.frames).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(slow.frames).toEqual(['1']);
  });

  it('disconnects a resuming client when the live events held for it pass the limit', () => {
    const sink = new RecordingSink();
    hub.open('ada', sink, 0);
    for (let seq = 1; seq <= 4; seq++) hub.dispatch(event('ada', seq));
    expect(closed).toEqual(['ada too slow']);
  });

  it('lets a resume wait for a slow connection instead of queueing the whole history', async () => {
    const sink = new RecordingSink(1);
    const client = hub.open('ada', sink, 0);
    client.replayed(event('ada', 1));
    let writable = false;
    const waiting = client.whenWritable().then(() => (writable = true));
    await Promise.resolve();
    expect(writable).toBe(false);
    sink.drain();
    await waiting;
    expect(writable).toBe(true);
  });

  it('sends keep-alive comments to every stream', async () => {
    const quick = new LiveHub({ keepAliveMs: 20, queueLimit: 3 });
    const sink = new RecordingSink();
    quick.open('ada', sink);
    await vi.waitFor(() => expect(sink.frames).toContain(KEEP_ALIVE), { timeout: 2_000 });
    quick.stop();
  });

  it('ends every stream when it stops, and forgets a client that went away', () => {
    const [a, b] = [new RecordingSink(), new RecordingSink()];
    const gone = hub.open('ada', a);
    hub.open('bob', b);
    gone.close('gone');
    expect(a.destroyed || a.ended).toBe(false);
    hub.stop();
    expect(b.ended).toBe(true);
    expect(hub.size).toBe(0);
    expect(hub.stopping).toBe(true);
  });
});

describe('the cursor', () => {
  it('is opaque and reads back to the stream sequence', () => {
    expect(cursorOf(42)).not.toContain('42');
    expect(seqOfCursor(cursorOf(42))).toBe(42);
    expect(seqOfCursor(cursorOf(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each(['', '42', 'abc', cursorOf(42) + '=', Buffer.from('d0').toString('base64url'), Buffer.from('d01').toString('base64url'), 'x'.repeat(30)])(
    'refuses %j',
    (cursor) => {
      expect(() => seqOfCursor(cursor)).toThrow(/Last-Event-ID/);
    },
  );
});
