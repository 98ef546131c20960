import { RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { DEFAULT_STREAM_MAX_AGE_MS } from '../duration';
import { subjectMatches } from '../subject';
import { isJetStreamAway, isStreamNotFound } from './nats-errors';

export interface StreamSpec {
  name: string;
  subjects: string[];
  /**
   * How long events are kept (default 30 days, `STREAM_MAX_AGE` through createPubSub): how long a consumer
   * can be down, and how far back a replay or a new group reaches. Applied to an existing stream too.
   */
  maxAgeMs?: number;
  /** A republished event (same id) within this window is stored once (default 2 minutes). */
  duplicateWindowMs?: number;
  /** Copies kept by a NATS cluster (default 1); applies when the stream is created. */
  replicas?: number;
}

/**
 * Creates each stream, or adds the subjects it lacks and sets its declared retention. Its other settings are
 * left as they are (an operator may have tuned them), and subjects are only added; the one exception is a wildcard
 * covering a subject the spec lists itself, which the spec replaces. Two services updating one stream at the same
 * instant can still drop one's subject (an update replaces the whole list): DeclaredStreams.storing repairs it.
 */
export async function ensureStreams(jsm: JetStreamManager, specs: readonly StreamSpec[]): Promise<void> {
  for (const spec of specs) await ensureStream(jsm, spec);
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = await jsm.streams.info(spec.name).catch((error: unknown) => {
        if (isStreamNotFound(error)) return undefined;
        throw error;
      });
      if (!existing) {
        await jsm.streams.add({
          name: spec.name,
          subjects: spec.subjects,
          retention: RetentionPolicy.Limits,
          storage: StorageType.File,
          max_age: nanos(spec.maxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS),
          duplicate_window: nanos(spec.duplicateWindowMs ?? 2 * 60 * 1000),
          num_replicas: spec.replicas ?? 1,
        });
        return;
      }
      // A wildcard that covers a subject now declared one by one is an older declaration (`deployment.>` before
      // the stream stored only the at-least-once subjects): it goes, or it would keep storing what it should not.
      const kept = existing.config.subjects.filter(
        (pattern) => spec.subjects.includes(pattern) || !spec.subjects.some((subject) => subjectMatches(pattern, subject)),
      );
      const missing = spec.subjects.filter((subject) => !kept.includes(subject));
      // The retention is the one setting the platform's configuration owns (STREAM_MAX_AGE): a changed one applies.
      const maxAge = spec.maxAgeMs === undefined ? existing.config.max_age : nanos(spec.maxAgeMs);
      if (missing.length === 0 && kept.length === existing.config.subjects.length && maxAge === existing.config.max_age) return;
      await jsm.streams.update(spec.name, { ...existing.config, max_age: maxAge, subjects: [...kept, ...missing] });
      // Loop: another service may have written between our read and our update; read again to be sure.
    } catch (error) {
      // JetStream away is the caller's to wait out (whileJetStreamAway); here only a race with another writer is retried.
      if (isJetStreamAway(error)) throw error;
      if (attempt >= 5) throw new Error(`cannot create or update stream ${spec.name}: ${String(error)}`, { cause: error });
    }
  }
}

/** The streams a service declared, kept whole while it runs. */
export class DeclaredStreams {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly specs: readonly StreamSpec[],
  ) {}

  ensure(): Promise<void> {
    return ensureStreams(this.jsm, this.specs);
  }

  /**
   * The stream that stores `subject`, or undefined when none does. A declared stream that should
   * store it is repaired first: another service's concurrent update may have dropped the subject
   * (stream updates replace the whole subject list).
   */
  async storing(subject: string): Promise<string | undefined> {
    const found = await this.find(subject);
    if (found) return found;
    const specs = this.specs.filter((spec) => spec.subjects.some((pattern) => subjectMatches(pattern, subject)));
    if (specs.length === 0) return undefined;
    await ensureStreams(this.jsm, specs);
    return this.find(subject);
  }

  private find(subject: string): Promise<string | undefined> {
    return this.jsm.streams.find(subject).catch((error: unknown) => {
      if (isStreamNotFound(error)) return undefined;
      throw error;
    });
  }
}

export function noStreamFor(subject: string): Error {
  return new Error(`no JetStream stream stores ${subject}: declare one in the streams option`);
}
