import { AnalyticsSeries, AnalyticsSummary } from '@mediamagic/contracts';
import { startTestGateway, type TestGateway } from '../testing/test-gateway';

describe('GET /analytics/summary', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await startTestGateway();
  });
  afterEach(() => gateway.close());

  it("answers analytics-service's counts, without a token", async () => {
    const summary = { counts: { 'user.registered': 2, 'deployment.created': 1 }, total: 3, lastEventAt: '2025-01-01T00:00:00.000Z' };
    await gateway.services.reply(AnalyticsSummary, () => summary);

    const response = await gateway.inject({ method: 'GET', url: '/analytics/summary' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(summary);
  });

  it('answers 503 when analytics-service is not running', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/analytics/summary' });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ statusCode: 503, message: `no service answers ${AnalyticsSummary.subject}` });
  });
});

describe('GET /analytics/series', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await startTestGateway();
  });
  afterEach(() => gateway.close());

  it("asks analytics-service for one event's counts per minute, by label value, and answers them", async () => {
    const asked: unknown[] = [];
    const series = {
      name: 'deployment.created',
      interval: 'minute' as const,
      label: 'model',
      points: [{ start: '2026-01-01T10:00:00.000Z', count: 2, values: { llama: 2 } }],
    };
    await gateway.services.reply(AnalyticsSeries, (request) => {
      asked.push(request);
      return series;
    });

    const response = await gateway.inject({ method: 'GET', url: '/analytics/series?name=deployment.created&interval=minute&label=model' });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(series);
    expect(asked).toEqual([{ name: 'deployment.created', interval: 'minute', label: 'model' }]);
  });

  it('answers 400 for a query the contract refuses, without asking analytics-service', async () => {
    for (const query of ['interval=minute', 'name=x&interval=hour', 'name=x&interval=minute&colour=red', 'name=x&interval=minute&from=yesterday']) {
      const response = await gateway.inject({ method: 'GET', url: `/analytics/series?${query}` });
      expect(response.statusCode, query).toBe(400);
    }
  });
});
