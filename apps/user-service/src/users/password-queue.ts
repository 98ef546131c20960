import { availableParallelism } from 'node:os';
import { UnavailableError } from '@mediamagic/errors';
import pLimit, { type LimitFunction } from 'p-limit';
import { hashPassword, verifyPassword } from './password';

export interface PasswordQueueSettings {
  /** Passwords hashed or verified at once. */
  concurrency: number;
  /** Passwords that may wait for a turn; one more is refused at once. */
  maxWaiting: number;
}

/**
 * `concurrency` (`SCRYPT_CONCURRENCY`) defaults to the cores, at most 4: scrypt runs on libuv's pool of
 * 4 threads, which file and DNS work share. About two seconds of work may wait, well within a caller's deadline.
 */
export function passwordQueueSettings(concurrency = Math.min(availableParallelism(), 4)): PasswordQueueSettings {
  return { concurrency, maxWaiting: 8 * concurrency };
}

/**
 * Password hashing and verification (scrypt, ~260 ms of a core each) in a bounded queue, so that a burst cannot
 * line up minutes of work: a full queue is refused at once with `retryAfterSeconds` (503 with Retry-After at
 * the gateway), and work whose caller gave up before its turn came is dropped, not hashed.
 */
export class PasswordQueue {
  private readonly limit: LimitFunction;
  /** The recent time of one hash, for the Retry-After of a refusal; until measured, scrypt's on one core. */
  private averageMs = 260;

  constructor(private readonly settings: PasswordQueueSettings) {
    this.limit = pLimit(settings.concurrency);
  }

  hash(password: string, deadline?: Date): Promise<string> {
    return this.run(() => hashPassword(password), deadline);
  }

  verify(password: string, stored: string, deadline?: Date): Promise<boolean> {
    return this.run(() => verifyPassword(password, stored), deadline);
  }

  private async run<T>(work: () => Promise<T>, deadline: Date | undefined): Promise<T> {
    const { activeCount, pendingCount, concurrency } = this.limit;
    if (activeCount >= concurrency && pendingCount >= this.settings.maxWaiting) {
      const drainSeconds = Math.ceil((((activeCount + pendingCount) / concurrency) * this.averageMs) / 1_000);
      throw new UnavailableError('too many sign-ups and logins at once, try again shortly', { retryAfterSeconds: drainSeconds });
    }
    return this.limit(async () => {
      // Its caller has given up, so nobody would read the answer: the turn goes to the next one.
      if (deadline && deadline.getTime() <= Date.now()) throw new UnavailableError('the request expired while it waited for its turn');
      const started = performance.now();
      try {
        return await work();
      } finally {
        this.averageMs = 0.8 * this.averageMs + 0.2 * (performance.now() - started);
      }
    });
  }
}
