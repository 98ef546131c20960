import { randomUUID } from 'node:crypto';
import type { DeploymentView, UserView } from '@mediamagic/contracts';
import { loadConfig } from '@mediamagic/runtime';
import { PubSub } from '@mediamagic/pubsub';
import { MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { z } from 'zod';
import { SERVICE } from '../app.module';
import { AccessTokens } from '../auth/access-tokens';
import { GatewayConfig } from '../config';
import { createGateway } from '../gateway';

export const TEST_JWT_SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

export interface TestGateway {
  app: NestFastifyApplication;
  /** Fastify's light-my-request: HTTP without a socket. */
  inject(request: InjectOptions): Promise<LightMyRequestResponse>;
  /** A second client of the same broker that plays user-, deployment- and analytics-service: `services.reply(...)`. */
  services: PubSub;
  /** An access token for `userId`, as POST /auth/login would give. */
  /** An access token of `userId`; with `verifiedEmail`, one issued after the address was verified. */
  tokenFor(userId: string, verifiedEmail?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The real gateway (same wiring as main.ts) over a memory broker, ready for `inject`. Its limits count in a NATS
 * KV bucket, so they are off unless `env` sets AUTH_RATE_LIMIT and the NATS_ADDR of a nats-server the test started.
 */
export async function startTestGateway(env: Record<string, string> = { JWT_SECRET: TEST_JWT_SECRET }): Promise<TestGateway> {
  const broker = new MemoryBroker();
  const config = loadConfig(GatewayConfig, { AUTH_RATE_LIMIT: '0', ...env });
  const app = await createGateway(
    { pubsub: { service: SERVICE, transport: new MemoryTransport(broker) }, config },
    { logger: ['error', 'warn'], abortOnError: false },
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const services = new PubSub({ service: 'fake-services', transport: new MemoryTransport(broker) });
  return {
    app,
    inject: (request) => app.getHttpAdapter().getInstance().inject(request),
    services,
    tokenFor: async (userId, verifiedEmail) =>
      (await app.get(AccessTokens).issue({ id: userId, email: verifiedEmail ?? 'unverified@example.com', emailVerified: !!verifiedEmail })).accessToken,
    close: async () => {
      await app.close();
      await services.close();
      broker.shutdown();
    },
  };
}

export function aUser(overrides: Partial<z.output<typeof UserView>> = {}): z.output<typeof UserView> {
  return { id: randomUUID(), email: 'ada@example.com', name: 'Ada', emailVerified: true, createdAt: '2025-01-01T00:00:00.000Z', ...overrides };
}

export function aDeployment(overrides: Partial<z.output<typeof DeploymentView>> = {}): z.output<typeof DeploymentView> {
  return {
    id: randomUUID(),
    name: 'summarizer',
    model: 'llama-3-8b',
    replicas: 1,
    status: 'pending',
    ownerId: randomUUID(),
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}
