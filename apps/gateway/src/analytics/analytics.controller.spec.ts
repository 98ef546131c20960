import { AnalyticsSummary } from '@mediamagic/contracts';
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
