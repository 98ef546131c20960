import type { ThrottlerStorage } from '@nestjs/throttler';
import type { KvBucket } from './kv-bucket';

/** One client's requests in the current window, as every gateway replica sees them. */
interface Window {
  hits: number;
  endsAt: number;
  /** When a client over the limit may come back; 0 while it is not over. */
  blockedUntil: number;
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * @nestjs/throttler's storage in the shared KV bucket, so a limit holds across gateway replicas: a fixed window of
 * `ttl` per key, counted with atomic updates. The request past the limit blocks the key for `blockDuration`; a
 * blocked request is not counted, so it neither extends the block nor costs a write.
 */
export class RateLimitStorage implements ThrottlerStorage {
  constructor(private readonly bucket: KvBucket) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): ReturnType<ThrottlerStorage['increment']> {
    const now = Date.now();
    const window = (await this.bucket.update<Window>(`rate.${throttlerName}.${key}`, (current) => {
      if (current && current.blockedUntil > now) return undefined;
      const { hits, endsAt } = current && current.endsAt > now ? current : { hits: 0, endsAt: now + ttl };
      return { hits: hits + 1, endsAt, blockedUntil: hits + 1 > limit ? now + blockDuration : 0 };
    }))!;
    return {
      totalHits: window.hits,
      timeToExpire: seconds(window.endsAt - now),
      isBlocked: window.blockedUntil > now,
      timeToBlockExpire: seconds(window.blockedUntil - now),
    };
  }
}
