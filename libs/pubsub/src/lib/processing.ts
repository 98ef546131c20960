import { randomUUID } from 'node:crypto';
import { deadLetterEnvelope, deadLetterId, DL } from './dead-letter';
import { describe, PermanentError } from './errors';
import { toMessage } from './message-builder';
import type { Delivery, Envelope, Message, MessageHandler } from './message';
import { backoffDelay, type RetryPolicy } from './retry';
import { ACK, TERM, type Effects, type Outcome, type Processor } from './transport';

export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What decides a delivery's fate, once its handler (wrapped in its middlewares) has run. */
export interface ProcessingPolicy {
  readonly group: string;
  readonly delivery: Delivery;
  readonly retry: RetryPolicy;
  /** `external`: a replayed delivery is acked without running the handler (see `Effects`); default `internal`. */
  readonly effects?: Effects;
  /** Stores a dead letter (at least once); rejects when it could not be stored. */
  readonly storeDeadLetter: (envelope: Envelope, dedupId: string) => Promise<void>;
  readonly logger: Logger;
  /** Wraps each delivery's whole processing, outermost first (tracing, metrics). */
  readonly observe?: ReadonlyArray<(next: (message: Message) => Promise<Processed>) => (message: Message) => Promise<Processed>>;
}

/** How one delivery ended, and why when it failed (a retry or dead letter's reason). */
export interface Processed {
  readonly outcome: Outcome;
  readonly error?: string;
}

/**
 * The processing policy, the same for every transport: run the handler, then ack; on failure retry
 * with backoff (at least once) or drop (at most once); dead-letter with the reason what cannot succeed.
 */
export function processor(handler: MessageHandler, policy: ProcessingPolicy): Processor {
  const { group, delivery, retry, logger } = policy;
  const deadLetter = async (message: Message, reason: string): Promise<Processed> => {
    try {
      // Without an event id there is nothing to de-duplicate on: a random id keeps each one stored.
      await policy.storeDeadLetter(deadLetterEnvelope(message, reason), message.id ? deadLetterId(message) : randomUUID());
      logger.error(`dead-lettered ${message.subject} ${message.id} (group ${group}): ${reason}`);
      return { outcome: TERM, error: reason };
    } catch (error) {
      // Not stored in the dead letters: keep it with the broker rather than lose it.
      logger.error(`cannot dead-letter ${message.id}, will retry: ${describe(error)}`);
      return { outcome: { kind: 'retry', delayMs: 1_000 }, error: `cannot dead-letter: ${describe(error)}` };
    }
  };

  const processOne = async (message: Message): Promise<Processed> => {
    if (message.attempt > retry.maxAttempts) {
      // Earlier attempts never settled (the process died or the ack was lost): do not loop forever.
      return deadLetter(message, `no attempt completed in ${retry.maxAttempts} deliveries`);
    }
    try {
      await handler(message);
      return { outcome: ACK };
    } catch (error) {
      const reason = describe(error);
      if (error instanceof PermanentError) return deadLetter(message, reason);
      if (delivery === 'at-most-once') {
        logger.error(`handler for ${message.subject} (group ${group}) failed, message dropped (at-most-once): ${reason}`);
        return { outcome: ACK, error: reason };
      }
      if (message.attempt >= retry.maxAttempts) return deadLetter(message, reason);
      const delayMs = backoffDelay(retry, message.attempt);
      logger.warn(`handler for ${message.subject} (group ${group}) failed on attempt ${message.attempt}, retry in ${delayMs} ms: ${reason}`);
      return { outcome: { kind: 'retry', delayMs }, error: reason };
    }
  };
  const observed = (policy.observe ?? []).reduceRight((next, observe) => observe(next), processOne);

  return async (delivered) => {
    // A replayed dead letter is meant for the group that failed it; the others handled it long ago.
    const replayFor = delivered.headers[DL.replayFor];
    if (replayFor !== undefined && replayFor !== group) return ACK;
    // What left the platform (an email) already left: a replay rebuilds state, it never repeats effects.
    if (delivered.replayed && policy.effects === 'external') return ACK;
    return (await observed(toMessage(delivered, group))).outcome;
  };
}
