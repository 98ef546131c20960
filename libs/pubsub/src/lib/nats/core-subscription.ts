import type { NatsConnection } from '@nats-io/transport-node';
import { Limiter } from '../limiter';
import type { ConsumerSpec, Processor, Subscription } from '../transport';
import { registered, type TransportLogger } from './connection';
import { readHeaders } from './headers';

/** At-most-once: a core NATS queue subscription, one member of the group's queue. */
export async function coreSubscription(connection: NatsConnection, spec: ConsumerSpec, processor: Processor, logger: TransportLogger): Promise<Subscription> {
  const subscription = connection.subscribe(spec.subject, { queue: spec.group });
  const limiter = new Limiter(spec.concurrency);
  // The subscription's own iterator is the queue: waiting here costs nothing per message,
  // unlike a promise parked for each message that arrives while the handlers are busy.
  const loop = (async () => {
    for await (const message of subscription) {
      if (!limiter.tryAcquire()) await limiter.acquire();
      void processor({ subject: message.subject, data: message.data, headers: readHeaders(message), attempt: 1 }).finally(() => limiter.release());
    }
  })().catch((error: unknown) => logger.error(`subscription to ${spec.subject} stopped: ${(error as Error).message}`));
  await registered(connection, subscription);
  return {
    subject: spec.subject,
    group: spec.group,
    close: async () => {
      if (!subscription.isClosed()) await subscription.drain();
      await loop;
      await limiter.drain();
    },
  };
}
