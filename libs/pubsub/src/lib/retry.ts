export interface RetryPolicy {
  /** Deliveries in all, the first included, before the message goes to the dead letters. */
  maxAttempts: number;
  /** Delay before the second attempt; doubled for each attempt after, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 };

/** Exponential backoff: the delay before delivery `attempt + 1`. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}
