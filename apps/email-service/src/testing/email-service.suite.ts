import { randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IssueVerificationLink } from '@mediamagic/contracts';
import { ConflictError, NotFoundError, UnavailableError } from '@mediamagic/errors';
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
  /** Answers the requests for verification links, as user-service would. */
  users: StandInUserService;
  /** The broker: `broker.replay(SERVICE)` does what `npm run replay -- email-service` does on NATS. */
  broker: MemoryBroker;
  close(): Promise<void>;
}

/** user-service's part, played on the same broker: a new verification link per request, unless told otherwise. */
export class StandInUserService {
  /** The user of every request so far, answered or refused. */
  readonly asked: string[] = [];
  /** Every link issued so far, in order. */
  readonly issued: Array<{ userId: string; verificationUrl: string }> = [];
  /** Users whose address is verified already: 409. */
  readonly verified = new Set<string>();
  /** Users it does not know: 404. */
  readonly unknown = new Set<string>();
  /** How many more requests to refuse with 503 (away, starting), per user. */
  readonly unavailable = new Map<string, number>();

  linksOf(userId: string): string[] {
    return this.issued.filter((link) => link.userId === userId).map((link) => link.verificationUrl);
  }

  issue(userId: string): { verificationUrl: string } {
    this.asked.push(userId);
    if (this.verified.has(userId)) throw new ConflictError('email is already verified');
    if (this.unknown.has(userId)) throw new NotFoundError('user not found');
    const refusals = this.unavailable.get(userId) ?? 0;
    if (refusals > 0) {
      this.unavailable.set(userId, refusals - 1);
      throw new UnavailableError('user-service is starting');
    }
    const verificationUrl = `http://localhost:3000/verify?token=${randomBytes(32).toString('base64url')}`;
    this.issued.push({ userId, verificationUrl });
    return { verificationUrl };
  }
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
  const users = new StandInUserService();
  await platform.reply(IssueVerificationLink, ({ userId }) => users.issue(userId));
  return {
    platform,
    users,
    broker,
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

export const userRegistered = (email = 'ada@example.com') => ({ userId: randomUUID(), email, name: 'Ada', registeredAt: new Date().toISOString() });

export const deployment = (ownerEmail = 'ada@example.com', name = `chat-${randomUUID().slice(0, 8)}`) => ({
  deploymentId: randomUUID(),
  ownerId: randomUUID(),
  ownerEmail,
  name,
  model: 'llama-3-8b',
});
