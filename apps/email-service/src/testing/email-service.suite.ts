import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PubSub, type Message, type TrackingEvent } from '@mediamagic/pubsub';
import { duplicator, MemoryBroker, MemoryTransport, readDeadLetter, type DeadLetter } from '@mediamagic/pubsub/testing';
import { AppModule, SERVICE } from '../app.module';
import type { MailOptions } from '../mail/mailer';
import { MIGRATIONS } from '../migrations';

export const MAIL_FROM = 'Media Magic <no-reply@mediamagic.test>';

export interface EmailService {
  /** Another service on the same broker: publishes the events, watches the tracking events. */
  platform: PubSub;
  /** Every `email.sent` tracking event published so far. */
  tracked: TrackingEvent[];
  /** The same, as messages: their correlation and causation headers. */
  trackedMessages: Message[];
  /** Every dead letter so far, with the id of the event it holds. */
  deadLetters: Array<DeadLetter & { eventId: string }>;
  close(): Promise<void>;
}

/** The app over a memory broker and a throwaway database, every event handled twice (what a redelivery does). */
export async function startEmailService(mail: Partial<Omit<MailOptions, 'from'>>): Promise<EmailService> {
  const broker = new MemoryBroker();
  const module = await Test.createTestingModule({
    imports: [
      AppModule.register({
        pubsub: { service: SERVICE, transport: new MemoryTransport(broker), middlewares: [duplicator()] },
        database: { directory: 'memory://', migrations: MIGRATIONS },
        mail: { directory: join(tmpdir(), 'email-service-unused'), ...mail, from: MAIL_FROM },
      }),
    ],
  }).compile();
  const app: INestApplicationContext = await module.init();
  const platform = new PubSub({ service: 'platform', transport: new MemoryTransport(broker) });
  const tracked: TrackingEvent[] = [];
  const trackedMessages: Message[] = [];
  await platform.subscribeEvent('email.sent', (event, message) => {
    tracked.push(event);
    trackedMessages.push(message);
  });
  const deadLetters: EmailService['deadLetters'] = [];
  await platform.subscribe('dead-letter.>', async (message) => void deadLetters.push({ ...readDeadLetter(message), eventId: message.id }), {
    delivery: 'at-least-once',
  });
  return {
    platform,
    tracked,
    trackedMessages,
    deadLetters,
    close: async () => {
      await platform.close();
      await app.close();
      broker.shutdown();
    },
  };
}

export const userRegistered = (email = 'ada@example.com', token = randomUUID()) => ({
  userId: randomUUID(),
  email,
  name: 'Ada',
  verificationUrl: `http://localhost:3000/verify?token=${token}`,
  registeredAt: new Date().toISOString(),
});

export const deployment = (ownerEmail = 'ada@example.com', name = `chat-${randomUUID().slice(0, 8)}`) => ({
  deploymentId: randomUUID(),
  ownerId: randomUUID(),
  ownerEmail,
  name,
  model: 'llama-3-8b',
});
