import { Test } from '@nestjs/testing';
import { startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import { HealthServer } from './health-server';
import { infrastructureModules } from './service-infrastructure';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('the health endpoints of a service without HTTP', () => {
  let nats: NatsServer;
  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(() => nats.dispose());

  it('answers liveness always and readiness only while NATS and the database answer', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: infrastructureModules({
        pubsub: { service: 'health-test', natsAddr: nats.url, logger: quiet },
        database: { directory: 'memory://', migrations: [] },
        healthPort: 0,
      }),
    }).compile();
    const app = await moduleRef.init();
    const base = `http://127.0.0.1:${app.get(HealthServer).address}`;
    const get = async (path: string) => {
      const response = await fetch(`${base}${path}`);
      return { status: response.status, body: await response.json() };
    };
    try {
      expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await get('/health/ready')).toEqual({ status: 200, body: { status: 'ok', checks: { nats: 'up', database: 'up' } } });
      expect((await get('/nothing')).status).toBe(404);
      // The Prometheus scrape: Node's process metrics and this service's consumer backlog (none subscribed here).
      const scrape = await fetch(`${base}/metrics`);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const metrics = await scrape.text();
      expect(metrics).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(metrics).toContain('# TYPE mediamagic_consumer_pending_messages gauge');

      await nats.stop();
      await waitFor(async () => (await get('/health/ready')).status === 503, { timeoutMs: 10_000, message: 'not ready without NATS' });
      expect(await get('/health/ready')).toEqual({ status: 503, body: { status: 'unavailable', checks: { nats: 'down', database: 'up' } } });
      expect((await get('/health')).status).toBe(200);

      await nats.start();
      await waitFor(async () => (await get('/health/ready')).status === 200, { timeoutMs: 10_000, message: 'ready again' });
    } finally {
      await app.close();
    }
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });
});
