import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AnalyticsSummary, DeploymentCreated, UserRegistered } from '@mediamagic/contracts';
import { PubSub } from '@mediamagic/pubsub';
import { duplicator, MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';
import { waitFor } from '@mediamagic/testing';
import { randomUUID } from 'node:crypto';
import { AppModule, SERVICE } from '../app.module';
import { MIGRATIONS } from '../migrations';

const registered = () => ({
  userId: randomUUID(),
  email: 'ada@example.com',
  name: 'Ada',
  registeredAt: new Date().toISOString(),
});

describe('analytics-service', () => {
  let broker: MemoryBroker;
  let app: INestApplicationContext;
  let platform: PubSub;

  beforeEach(async () => {
    broker = new MemoryBroker();
    const module = await Test.createTestingModule({
      imports: [
        AppModule.register({
          // Every event is handled twice: the counts prove the handler is idempotent.
          pubsub: { service: SERVICE, transport: new MemoryTransport(broker), middlewares: [duplicator()] },
          database: { directory: 'memory://', migrations: MIGRATIONS },
        }),
      ],
    }).compile();
    app = await module.init();
    platform = new PubSub({ service: 'platform', transport: new MemoryTransport(broker) });
  });
  afterEach(async () => {
    await platform.close();
    await app.close();
    broker.shutdown();
  });

  const summary = () => platform.request(AnalyticsSummary, {});

  it('starts with nothing counted', async () => {
    expect(await summary()).toEqual({ counts: {}, total: 0, lastEventAt: null });
  });

  it('counts domain and tracking events by name, each delivery of one event once', async () => {
    await platform.emit(UserRegistered, registered());
    await platform.emit(UserRegistered, registered());
    await platform.emit(DeploymentCreated, {
      deploymentId: randomUUID(),
      ownerId: randomUUID(),
      ownerEmail: 'ada@example.com',
      name: 'chat',
      model: 'llama',
      replicas: 1,
      createdAt: new Date().toISOString(),
    });
    await platform.publishEvent({ name: 'email.sent', labels: { template: 'verification' } });
    await platform.publishEvent({ name: 'gpu.seconds', count: 30 });

    await waitFor(async () => (await summary()).total === 34, { timeoutMs: 5_000, message: 'all events counted' });
    const { counts, lastEventAt } = await summary();
    expect(counts).toEqual({ 'user.registered': 2, 'deployment.created': 1, 'email.sent': 1, 'gpu.seconds': 30 });
    expect(Date.parse(lastEventAt!)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('counts a republished event (same id) once', async () => {
    const payload = registered();
    await platform.emit(UserRegistered, payload, { id: 'evt-1' });
    await platform.emit(UserRegistered, payload, { id: 'evt-1' });
    await platform.publishEvent({ name: 'marker' });
    await waitFor(async () => (await summary()).counts['marker'] === 1, { timeoutMs: 5_000, message: 'marker counted' });
    await waitFor(async () => (await summary()).counts['user.registered'] === 1, { timeoutMs: 5_000, message: 'registration counted' });
    expect((await summary()).counts['user.registered']).toBe(1);
  });

  it('rejects a summary request with unknown fields', async () => {
    await expect(platform.request(AnalyticsSummary, { extra: 1 } as never)).rejects.toMatchObject({ statusCode: 400 });
  });
});
