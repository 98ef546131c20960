import { singleLine } from './header-rules';
import type { Envelope, Message } from './message';

export const DEAD_LETTER_PREFIX = 'dead-letter';

/** Headers a dead letter carries besides the original ones. */
export const DL = {
  reason: 'dead-letter-reason',
  group: 'dead-letter-group',
  attempts: 'dead-letter-attempts',
  subject: 'dead-letter-subject',
  time: 'dead-letter-time',
  /** On a replayed message: the one group that should handle it (`dlq replay`). */
  replayFor: 'dead-letter-replay-for',
  /** On a replayed message: the id of the dead letter it came from. */
  replayOf: 'dead-letter-replay-of',
} as const;

export interface DeadLetter {
  readonly reason: string;
  readonly group: string;
  readonly attempts: number;
  /** Where the message was originally published. */
  readonly subject: string;
  readonly time: string;
}

/**
 * A message that could not be handled, kept with why: `dead-letter.<group>.<original subject>`,
 * the original body and headers, and the reason, group, attempts and original subject.
 */
export function deadLetterEnvelope(message: Message, reason: string): Envelope {
  return {
    subject: `${DEAD_LETTER_PREFIX}.${message.group}.${message.subject}`,
    data: message.data,
    headers: {
      ...message.headers,
      [DL.reason]: singleLine(reason),
      [DL.group]: message.group,
      [DL.attempts]: String(message.attempt),
      [DL.subject]: message.subject,
      [DL.time]: new Date().toISOString(),
    },
  };
}

/**
 * The de-duplication id of a message's dead letter: one per event and group, so a retried publish is
 * stored once — and one more per replay, or a replay that fails again would be dropped as a repeat.
 */
export function deadLetterId(message: Message): string {
  const replayOf = message.headers[DL.replayOf];
  return `${message.group}:${message.id}${replayOf ? `:replay-${replayOf}` : ''}`;
}

/** Reads the dead-letter attributes of a message received from `dead-letter.>`. */
export function readDeadLetter(envelope: Envelope): DeadLetter {
  const h = envelope.headers;
  return {
    reason: h[DL.reason] ?? '',
    group: h[DL.group] ?? '',
    attempts: Number(h[DL.attempts] ?? 0),
    subject: h[DL.subject] ?? '',
    time: h[DL.time] ?? '',
  };
}
