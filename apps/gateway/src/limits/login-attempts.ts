import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { KvBucket } from './kv-bucket';
import { tooManyRequests } from './too-many-requests';

/** Failures older than this are forgotten. */
export const FAILURE_WINDOW_MS = 15 * 60_000;
// Short, so that whoever fails on purpose cannot keep the owner of the account out for long.
const MAX_DELAY_MS = 60_000;
// Failures before the next attempts wait: from one address, and from anywhere (guesses spread over many addresses).
const COUNTERS = [
  { scope: 'address', threshold: 5 },
  { scope: 'account', threshold: 20 },
] as const;

interface Failures {
  count: number;
  lastAt: number;
}

/** The bucket the gateway's limits count in (LimitsModule); null when AUTH_RATE_LIMIT is 0. */
export const LIMITS_BUCKET = Symbol('LimitsBucket');

/** When the next attempt may come: from the threshold on, each failure doubles the wait after it, up to a minute. */
function nextAttemptAt(failures: Failures | undefined, threshold: number, now: number): number {
  if (!failures || now - failures.lastAt > FAILURE_WINDOW_MS || failures.count < threshold) return 0;
  return failures.lastAt + Math.min(1000 * 2 ** (failures.count - threshold), MAX_DELAY_MS);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Slows down the failed logins of one account: they are counted per account and address, and per account, in the
 * bucket every gateway replica shares. An attempt that comes too early is answered 429 at once, without costing
 * user-service a password hash; a right password clears the counts.
 */
@Injectable()
export class LoginAttempts {
  constructor(@Inject(LIMITS_BUCKET) private readonly bucket: KvBucket | null) {}

  /** Throws a 429 (with when to come back) while the account must wait before an attempt from this address. */
  async check(email: string, address: string): Promise<void> {
    const bucket = this.bucket;
    if (!bucket) return;
    const now = Date.now();
    const retryAt = await Promise.all(
      this.counters(email, address).map(async ({ key, threshold }) => nextAttemptAt((await bucket.get<Failures>(key))?.value, threshold, now)),
    );
    const waitMs = Math.max(...retryAt) - now;
    if (waitMs > 0) throw tooManyRequests('too many failed logins for this account; try again later', Math.ceil(waitMs / 1000));
  }

  async failed(email: string, address: string): Promise<void> {
    const bucket = this.bucket;
    if (!bucket) return;
    const now = Date.now();
    await Promise.all(
      this.counters(email, address).map(({ key }) =>
        bucket.update<Failures>(key, (current) => ({ count: current && now - current.lastAt <= FAILURE_WINDOW_MS ? current.count + 1 : 1, lastAt: now })),
      ),
    );
  }

  async succeeded(email: string, address: string): Promise<void> {
    const bucket = this.bucket;
    if (!bucket) return;
    await Promise.all(
      this.counters(email, address).map(({ key }) =>
        bucket.update<Failures>(key, (current) => (current?.count ? { count: 0, lastAt: current.lastAt } : undefined)),
      ),
    );
  }

  // Hashed: a key must be made of a few ASCII characters, and the bucket has no business knowing email addresses.
  private counters(email: string, address: string) {
    return COUNTERS.map(({ scope, threshold }) => ({ key: `login.${scope}.${sha256(scope === 'account' ? email : `${email}\n${address}`)}`, threshold }));
  }
}
