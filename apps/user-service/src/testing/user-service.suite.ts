import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import { IssueVerificationLink, RegisterUser, UserRegistered, UserVerified } from '@mediamagic/contracts';
import { Database } from '@mediamagic/database';
import { PubSub, type Message, type PayloadOf, type RequestOf, type RequestOptions, type TrackingEvent } from '@mediamagic/pubsub';
import { MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';
import { waitFor } from '@mediamagic/testing';
import { AppModule, SERVICE } from '../app.module';
import { MIGRATIONS } from '../migrations';
import { passwordQueueSettings, type PasswordQueueSettings } from '../users/password-queue';

export const PUBLIC_URL = 'https://magic.example';

interface Received<P> {
  payload: P;
  message: Message;
}

/** user-service on a memory broker and a throwaway database, and a client that sees what it publishes. */
export interface UserServiceHarness {
  app: TestingModule;
  /** Another service on the same broker: calls the requests, listens to the events. */
  client: PubSub;
  db: Database;
  registered: Received<PayloadOf<typeof UserRegistered>>[];
  verified: Received<PayloadOf<typeof UserVerified>>[];
  loggedIn: TrackingEvent[];
  close(): Promise<void>;
}

export async function startUserService({
  passwordQueue = passwordQueueSettings(),
}: { passwordQueue?: PasswordQueueSettings } = {}): Promise<UserServiceHarness> {
  const broker = new MemoryBroker();
  const app = await Test.createTestingModule({
    imports: [
      AppModule.register({
        pubsub: { service: SERVICE, transport: new MemoryTransport(broker) },
        database: { directory: 'memory://', migrations: MIGRATIONS },
        publicUrl: PUBLIC_URL,
        passwordQueue,
      }),
    ],
  }).compile();
  await app.init();
  const client = new PubSub({ service: 'test-client', transport: new MemoryTransport(broker) });
  const harness: UserServiceHarness = {
    app,
    client,
    db: app.get(Database),
    registered: [],
    verified: [],
    loggedIn: [],
    async close() {
      await client.close();
      await app.close();
      broker.shutdown();
    },
  };
  await client.on(UserRegistered, (payload, message) => void harness.registered.push({ payload, message }));
  await client.on(UserVerified, (payload, message) => void harness.verified.push({ payload, message }));
  await client.subscribeEvent('user.logged-in', (event) => void harness.loggedIn.push(event));
  return harness;
}

/** A registration nobody else in the test file uses. */
export function newRegistration(overrides: Partial<RequestOf<typeof RegisterUser>> = {}): RequestOf<typeof RegisterUser> {
  return { email: `ada.${randomUUID()}@example.com`, name: 'Ada Lovelace', password: 'correct horse battery', ...overrides };
}

/** Request options with an Idempotency-Key, as the gateway sends for a request that carried the header. */
export function withIdempotencyKey(idempotencyKey: string): RequestOptions {
  return { context: { idempotencyKey } };
}

/** The user.registered event of `email`, once it has arrived. */
export async function registeredEventOf(harness: UserServiceHarness, email: string): Promise<Received<PayloadOf<typeof UserRegistered>>> {
  return waitFor(() => harness.registered.find((event) => event.payload.email === email.toLowerCase()), { message: `user.registered of ${email}` });
}

/** The token of a new verification link for `userId`, asked for as email-service asks when it sends the email. */
export async function verificationTokenFor(harness: UserServiceHarness, userId: string): Promise<string> {
  return tokenOf((await harness.client.request(IssueVerificationLink, { userId })).verificationUrl);
}

/** The token of the link in a verification email. */
export function tokenOf(verificationUrl: string): string {
  return new URL(verificationUrl).searchParams.get('token')!;
}
