import { setTimeout as sleep } from 'node:timers/promises';
import type { TransportLogger } from './connection';
import { isJetStreamAway } from './nats-errors';

/**
 * How long a JetStream API call made while a service starts (creating its streams and consumers) keeps trying
 * while JetStream cannot answer: generous, since a cluster that lost a member elects new leaders for every
 * stream and consumer first (seconds, more on a busy machine), and a service that gives up exits.
 */
export const JETSTREAM_API_PATIENCE_MS = 60_000;
const FIRST_PAUSE_MS = 100;
const LONGEST_PAUSE_MS = 2_000;

/**
 * Runs `call` (one JetStream API call, or a few that may be repeated together) again, backing off, while
 * JetStream is away for now: the call timed out, nobody answered it, or the server says JetStream is not ready
 * (no leader yet). Any other failure, or the patience spent, is thrown; every retry says why in the log.
 */
export async function whileJetStreamAway<T>(
  what: string,
  call: () => Promise<T>,
  logger: Pick<TransportLogger, 'warn'>,
  patienceMs = JETSTREAM_API_PATIENCE_MS,
): Promise<T> {
  const giveUpAt = Date.now() + patienceMs;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, LONGEST_PAUSE_MS)) {
    try {
      return await call();
    } catch (error) {
      const left = giveUpAt - Date.now();
      if (!isJetStreamAway(error) || left <= 0) throw error;
      logger.warn(`JetStream cannot ${what} for now (${(error as Error).message}): trying again in ${Math.min(pause, left)} ms`);
      await sleep(Math.min(pause, left));
    }
  }
}
