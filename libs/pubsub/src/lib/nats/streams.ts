import { RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** How long events are kept (default 7 days): the window in which a consumer can be down. */
  maxAgeMs?: number;
  /** A republished event (same id) within this window is stored once (default 2 minutes). */
  duplicateWindowMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Creates each stream or updates it in place. Subjects are merged with what is there, so services
 * that each declare part of a stream (or an operator's additions) do not clobber one another.
 */
export async function ensureStreams(jsm: JetStreamManager, specs: readonly StreamSpec[]): Promise<void> {
  for (const spec of specs) await ensureStream(jsm, spec);
}

async function ensureStream(jsm: JetStreamManager, spec: StreamSpec, retried = false): Promise<void> {
  const wanted: Partial<StreamConfig> = {
    subjects: spec.subjects,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(spec.maxAgeMs ?? 7 * DAY_MS),
    duplicate_window: nanos(spec.duplicateWindowMs ?? 2 * 60 * 1000),
  };
  const existing = await jsm.streams.info(spec.name).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  try {
    if (!existing) {
      await jsm.streams.add({ name: spec.name, ...wanted });
      return;
    }
    const subjects = [...new Set([...existing.config.subjects, ...spec.subjects])];
    const { retention: _fixed, storage: _fixedToo, ...updatable } = wanted;
    await jsm.streams.update(spec.name, { ...existing.config, ...updatable, subjects });
  } catch (error) {
    // Another service created it between our read and our write: read again and merge.
    if (!retried && /already in use|already exists/i.test(String(error))) return ensureStream(jsm, spec, true);
    throw new Error(`cannot create or update stream ${spec.name}: ${String(error)}`);
  }
}

function isNotFound(error: unknown): boolean {
  return /not found/i.test(String((error as Error)?.message ?? error));
}
