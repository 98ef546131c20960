import { startTestGateway, type TestGateway } from '../testing/test-gateway';

describe('API docs', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startTestGateway();
  });
  afterAll(() => gateway.close());

  it('GET /docs serves the OpenAPI UI', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/docs' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('swagger-ui');
  });

  it('GET /docs-json lists every route, with the bearer scheme and the zod schemas of the bodies', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/docs-json' });

    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(Object.keys(document.paths).sort()).toEqual([
      '/analytics/series',
      '/analytics/summary',
      '/auth/login',
      '/deployments',
      '/deployments/live',
      '/deployments/{id}',
      '/deployments/{id}/events',
      '/health',
      '/health/ready',
      '/users',
      '/users/me',
      '/users/verify',
      '/verify',
    ]);
    expect(document.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' } });
    const register = document.paths['/users'].post;
    expect(register.requestBody.content['application/json'].schema).toMatchObject({
      required: expect.arrayContaining(['email', 'name', 'password']),
      properties: { password: { minLength: 8 } },
    });
    expect(register.responses['201'].content['application/json'].schema).toMatchObject({ properties: { emailVerified: { type: 'boolean' } } });
    expect(register.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }));
    expect(document.paths['/deployments'].get.security).toEqual([{ bearer: [] }]);
    expect(document.paths['/deployments'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'limit']);
  });
});
