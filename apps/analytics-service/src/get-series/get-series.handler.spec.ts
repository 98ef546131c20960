import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AnalyticsSeries, AnalyticsSummary, DeploymentCreated } from '@mediamagic/contracts';
import { PubSub } from '@mediamagic/pubsub';
import { duplicator, MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';
import { waitFor } from '@mediamagic/testing';
import { randomUUID } from 'node:crypto';
import { AppModule, SERVICE } from '../app.module';
import { MAX_LABEL_VALUES, OTHER_VALUE } from '../count-event/labels';
import { MIGRATIONS } from '../migrations';

const created = (model: string, createdAt: string) => ({
  deploymentId: randomUUID(),
  ownerId: randomUUID(),
  ownerEmail: 'ada@example.com',
  name: 'chat',
  model,
  replicas: 1,
  createdAt,
});

describe('analytics series: counts per minute and label value', () => {
  let broker: MemoryBroker;
  let app: INestApplicationContext;
  let platform: PubSub;

  beforeEach(async () => {
    broker = new MemoryBroker();
    const module = await Test.createTestingModule({
      imports: [
        AppModule.register({
          // Every event is handled twice, and replayed once: the counts prove each is counted once.
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

  const series = (request: Parameters<typeof platform.request<typeof AnalyticsSeries>>[1]) => platform.request(AnalyticsSeries, request);
  const total = async () => (await platform.request(AnalyticsSummary, {})).total;

  it('counts domain events per minute of their time and per model, tracking events per label value, oldest first', async () => {
    // ce-time is the event's time: two in one minute, one in the next.
    await platform.emit(DeploymentCreated, created('llama', '2026-01-01T10:00:05.000Z'), { time: new Date('2026-01-01T10:00:05.000Z') });
    await platform.emit(DeploymentCreated, created('llama', '2026-01-01T10:00:50.000Z'), { time: new Date('2026-01-01T10:00:50.000Z') });
    await platform.emit(DeploymentCreated, created('mistral', '2026-01-01T10:01:10.000Z'), { time: new Date('2026-01-01T10:01:10.000Z') });
    await platform.publishEvent({ name: 'email.sent', labels: { template: 'verification' }, timestamp: '2026-01-01T10:00:00.000Z' });
    await platform.publishEvent({ name: 'email.sent', labels: { template: 'deployment' }, count: 2, timestamp: '2026-01-01T10:02:00.000Z' });
    await waitFor(async () => (await total()) === 6, { message: 'all counted' });
    broker.replay(SERVICE);
    await platform.publishEvent({ name: 'marker' });
    await waitFor(async () => (await total()) === 7, { message: 'the marker counted after the replay' });

    const span = { from: '2026-01-01T10:00:00.000Z', to: '2026-01-01T10:02:30.000Z' };
    expect(await series({ name: 'deployment.created', interval: 'minute', ...span })).toEqual({
      name: 'deployment.created',
      interval: 'minute',
      points: [
        { start: '2026-01-01T10:00:00.000Z', count: 2 },
        { start: '2026-01-01T10:01:00.000Z', count: 1 },
        { start: '2026-01-01T10:02:00.000Z', count: 0 },
      ],
    });
    expect((await series({ name: 'deployment.created', interval: 'minute', label: 'model', ...span })).points).toEqual([
      { start: '2026-01-01T10:00:00.000Z', count: 2, values: { llama: 2 } },
      { start: '2026-01-01T10:01:00.000Z', count: 1, values: { mistral: 1 } },
      { start: '2026-01-01T10:02:00.000Z', count: 0, values: {} },
    ]);
    expect((await series({ name: 'email.sent', interval: 'minute', label: 'template', ...span })).points.map((p) => p.values)).toEqual([
      { verification: 1 },
      {},
      { deployment: 2 },
    ]);
    // Without a span: the last hour, up to this minute.
    const recent = await series({ name: 'marker', interval: 'minute' });
    expect(recent.points).toHaveLength(60);
    expect(recent.points.at(-1)!.count).toBe(1);
  });

  it('keeps a bounded number of values per label: the rest are counted together', async () => {
    for (let i = 0; i <= MAX_LABEL_VALUES; i++)
      await platform.publishEvent({ name: 'gpu.used', labels: { card: `card-${i}` }, timestamp: '2026-01-01T10:00:00.000Z' });
    await waitFor(async () => (await total()) === MAX_LABEL_VALUES + 1, { timeoutMs: 50_000, message: 'all counted' });
    const { points } = await series({ name: 'gpu.used', interval: 'minute', label: 'card', from: '2026-01-01T10:00:00.000Z', to: '2026-01-01T10:00:00.000Z' });
    const values = points[0]!.values!;
    expect(Object.keys(values)).toHaveLength(MAX_LABEL_VALUES + 1);
    expect(values[OTHER_VALUE]).toBe(1);
    // A hundred events one by one through an in-memory database: give a busy machine time.
  }, 60_000);

  it('answers 400 for an unknown event, label or interval, and for a span too long or backwards', async () => {
    await platform.publishEvent({ name: 'known', labels: { kind: 'a' } });
    await waitFor(async () => (await total()) === 1, { message: 'counted' });
    const refused = (request: object) => expect(platform.request(AnalyticsSeries, request as never)).rejects.toMatchObject({ statusCode: 400 });
    await refused({ name: 'unknown', interval: 'minute' });
    await refused({ name: 'known', interval: 'minute', label: 'colour' });
    await refused({ name: 'known', interval: 'hour' });
    await refused({ name: 'known', interval: 'minute', from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    await refused({ name: 'known', interval: 'minute', from: '2026-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' });
    await refused({ name: 'known', interval: 'minute', extra: 1 });
    expect((await series({ name: 'known', interval: 'minute', label: 'kind' })).points.at(-1)!.values).toEqual({ a: 1 });
  });
});
