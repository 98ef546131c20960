import { PubSub } from '@mediamagic/pubsub';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

describe('health', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await startTestGateway();
  });
  afterEach(() => gateway.close());

  it('GET /health is alive without asking anything', async () => {
    vi.spyOn(gateway.app.get(PubSub), 'ping').mockRejectedValue(new Error('NATS is gone'));

    const response = await gateway.inject({ method: 'GET', url: '/health' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('GET /health/ready is 200 while NATS answers', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/health/ready' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: { nats: 'up' } });
  });

  it('GET /health/ready is 503 when NATS does not answer', async () => {
    vi.spyOn(gateway.app.get(PubSub), 'ping').mockRejectedValue(new Error('the broker did not answer within 1000 ms'));

    const response = await gateway.inject({ method: 'GET', url: '/health/ready' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ statusCode: 503, message: 'NATS is unreachable', details: { status: 'unavailable', checks: { nats: 'down' } } });
  });
});
