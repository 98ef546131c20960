import { CreateDeployment, DeleteDeployment, GetDeployment, GetDeploymentEvents, GetUser, ListDeployments } from '@mediamagic/contracts';
import { NotFoundError } from '@mediamagic/errors';
import { aDeployment, aUser, startTestGateway, type TestGateway } from '../testing/test-gateway';

describe('deployments', () => {
  let gateway: TestGateway;
  let bearer: Record<string, string>;
  const verified = aUser({ emailVerified: true });
  beforeEach(async () => {
    gateway = await startTestGateway();
    bearer = { authorization: `Bearer ${await gateway.tokenFor(verified.id)}` };
  });
  afterEach(() => gateway.close());

  describe('POST /deployments', () => {
    it('creates it for a verified user: 202 pending, with the owner sent to deployment-service and the Idempotency-Key passed on', async () => {
      await gateway.services.reply(GetUser, ({ id }) => ({ ...verified, id }));
      const created: Array<{ request: unknown; idempotencyKey?: string }> = [];
      await gateway.services.reply(CreateDeployment, (request, message) => {
        created.push({ request, idempotencyKey: message.idempotencyKey });
        return aDeployment({ name: request.name, model: request.model, replicas: request.replicas, ownerId: request.owner.id });
      });

      const response = await gateway.inject({
        method: 'POST',
        url: '/deployments',
        headers: { ...bearer, 'idempotency-key': 'deploy-1' },
        payload: { name: 'summarizer', model: 'llama-3-8b' },
      });

      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({
        id: expect.any(String),
        name: 'summarizer',
        model: 'llama-3-8b',
        replicas: 1,
        status: 'pending',
        ownerId: verified.id,
        createdAt: expect.any(String),
      });
      expect(created).toEqual([
        { request: { name: 'summarizer', model: 'llama-3-8b', replicas: 1, owner: { id: verified.id, email: verified.email } }, idempotencyKey: 'deploy-1' },
      ]);
    });

    it('takes a verified address from the token, without asking user-service', async () => {
      const getUser = vi.fn(() => verified);
      await gateway.services.reply(GetUser, getUser);
      const owners: unknown[] = [];
      await gateway.services.reply(CreateDeployment, (request) => {
        owners.push(request.owner);
        return aDeployment({ ownerId: request.owner.id });
      });
      const token = await gateway.tokenFor(verified.id, verified.email);

      const response = await gateway.inject({
        method: 'POST',
        url: '/deployments',
        headers: { authorization: `Bearer ${token}` },
        payload: { name: 'summarizer', model: 'llama-3-8b' },
      });

      expect(response.statusCode).toBe(202);
      expect(owners).toEqual([{ id: verified.id, email: verified.email }]);
      expect(getUser).not.toHaveBeenCalled();
    });

    it('refuses with 403 while the email address is not verified, without creating anything', async () => {
      await gateway.services.reply(GetUser, ({ id }) => aUser({ id, emailVerified: false }));
      const create = vi.fn(() => aDeployment());
      await gateway.services.reply(CreateDeployment, create);

      const response = await gateway.inject({ method: 'POST', url: '/deployments', headers: bearer, payload: { name: 'summarizer', model: 'llama-3-8b' } });

      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ statusCode: 403, message: 'verify your email address first' });
      expect(create).not.toHaveBeenCalled();
    });

    it('rejects bad fields with a 400 naming them', async () => {
      const response = await gateway.inject({
        method: 'POST',
        url: '/deployments',
        headers: bearer,
        payload: { name: '', model: 'm', replicas: 50, gpu: 'a100' },
      });

      expect(response.statusCode).toBe(400);
      const { message } = response.json<{ message: string }>();
      expect(message).toContain('name: ');
      expect(message).toContain('replicas: ');
      expect(message).toContain('"gpu"');
    });

    it('answers 401 without a token', async () => {
      const response = await gateway.inject({ method: 'POST', url: '/deployments', payload: { name: 'summarizer', model: 'llama-3-8b' } });

      expect(response.statusCode).toBe(401);
    });
  });

  describe('reading and deleting', () => {
    it("GET /deployments lists the caller's page: limit and cursor passed on, {items, nextCursor} back", async () => {
      const requests: unknown[] = [];
      const mine = aDeployment({ ownerId: verified.id });
      await gateway.services.reply(ListDeployments, (request) => {
        requests.push(request);
        return { items: [mine], nextCursor: 'next-page' };
      });

      const first = await gateway.inject({ method: 'GET', url: '/deployments', headers: bearer });
      const second = await gateway.inject({ method: 'GET', url: '/deployments?limit=5&cursor=next-page', headers: bearer });

      expect(first.statusCode).toBe(200);
      expect(first.json()).toEqual({ items: [mine], nextCursor: 'next-page' });
      expect(second.statusCode).toBe(200);
      expect(requests).toEqual([
        { ownerId: verified.id, limit: 20 },
        { ownerId: verified.id, limit: 5, cursor: 'next-page' },
      ]);
    });

    it('GET /deployments rejects a bad limit or an unknown query parameter with a 400', async () => {
      for (const query of ['limit=0', 'limit=abc', 'limit=101', 'owner=someone-else']) {
        const response = await gateway.inject({ method: 'GET', url: `/deployments?${query}`, headers: bearer });
        expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
      }
    });

    it('GET /deployments/:id answers the deployment, asking for it as the caller', async () => {
      const deployment = aDeployment({ ownerId: verified.id, status: 'running' });
      const asked: unknown[] = [];
      await gateway.services.reply(GetDeployment, (request) => {
        asked.push(request);
        return deployment;
      });

      const response = await gateway.inject({ method: 'GET', url: `/deployments/${deployment.id}`, headers: bearer });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(deployment);
      expect(asked).toEqual([{ ownerId: verified.id, id: deployment.id }]);
    });

    it('GET /deployments/:id?version=N or ?at=<time> asks deployment-service for the past, every time', async () => {
      const deployment = aDeployment({ ownerId: verified.id, status: 'pending', version: 1 });
      const asked: unknown[] = [];
      await gateway.services.reply(GetDeployment, (request) => {
        asked.push(request);
        return deployment;
      });
      const at = '2025-01-01T00:00:00.500+01:00';

      for (const query of ['version=1', 'version=1', `at=${encodeURIComponent(at)}`]) {
        const response = await gateway.inject({ method: 'GET', url: `/deployments/${deployment.id}?${query}`, headers: bearer });
        expect(response.json()).toEqual(deployment);
      }
      expect(asked).toEqual([
        { ownerId: verified.id, id: deployment.id, version: 1 },
        { ownerId: verified.id, id: deployment.id, version: 1 },
        { ownerId: verified.id, id: deployment.id, at },
      ]);
    });

    it('GET /deployments/:id answers 400 for a bad version or time, or both at once', async () => {
      const get = vi.fn(() => aDeployment());
      await gateway.services.reply(GetDeployment, get);
      const id = aDeployment().id;

      for (const query of [
        'version=0',
        'version=-1',
        'version=1.5',
        'version=abc',
        'at=yesterday',
        'at=2025-13-01T00:00:00Z',
        'version=1&at=2025-01-01T00:00:00Z',
        'when=now',
      ]) {
        const response = await gateway.inject({ method: 'GET', url: `/deployments/${id}?${query}`, headers: bearer });
        expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
      }
      expect(get).not.toHaveBeenCalled();
    });

    it("passes deployment-service's 404 (unknown or not the caller's) through", async () => {
      await gateway.services.reply(GetDeployment, () => {
        throw new NotFoundError('deployment not found');
      });

      const response = await gateway.inject({ method: 'GET', url: `/deployments/${aDeployment().id}`, headers: bearer });

      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ statusCode: 404, message: 'deployment not found' });
    });

    it('answers 404 to an id that is not a uuid, without asking deployment-service', async () => {
      const get = vi.fn(() => aDeployment());
      await gateway.services.reply(GetDeployment, get);

      for (const url of ['/deployments/not-a-uuid', '/deployments/not-a-uuid/events']) {
        const response = await gateway.inject({ method: 'GET', url, headers: bearer });
        expect({ url, status: response.statusCode }).toEqual({ url, status: 404 });
      }
      expect((await gateway.inject({ method: 'DELETE', url: '/deployments/123', headers: bearer })).statusCode).toBe(404);
      expect(get).not.toHaveBeenCalled();
    });

    it('GET /deployments/:id/events answers the history, oldest first', async () => {
      const deployment = aDeployment({ ownerId: verified.id });
      const items = [
        {
          version: 1,
          type: 'deployment.created',
          time: '2025-01-01T00:00:00.000Z',
          data: { name: 'summarizer' },
          deliveries: [{ group: 'analytics-service.count-event', state: 'handled' as const, attempts: 1 }],
        },
        { version: 2, type: 'deployment.provisioning-started', time: '2025-01-01T00:00:01.000Z', data: {}, deliveries: [] },
      ];
      await gateway.services.reply(GetDeploymentEvents, () => ({ items }));

      const response = await gateway.inject({ method: 'GET', url: `/deployments/${deployment.id}/events`, headers: bearer });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ items });
    });

    it('DELETE /deployments/:id answers 202 with the deleted deployment', async () => {
      const deployment = aDeployment({ ownerId: verified.id });
      await gateway.services.reply(DeleteDeployment, ({ id, ownerId }) => ({ ...deployment, id, ownerId, status: 'deleted' as const }));

      const response = await gateway.inject({ method: 'DELETE', url: `/deployments/${deployment.id}`, headers: bearer });

      expect(response.statusCode).toBe(202);
      expect(response.json()).toMatchObject({ id: deployment.id, ownerId: verified.id, status: 'deleted' });
    });

    it('every route wants a token', async () => {
      const id = aDeployment().id;
      for (const [method, url] of [
        ['GET', '/deployments'],
        ['GET', `/deployments/${id}`],
        ['GET', `/deployments/${id}/events`],
        ['DELETE', `/deployments/${id}`],
      ] as const) {
        const response = await gateway.inject({ method, url });
        expect({ method, url, status: response.statusCode }).toEqual({ method, url, status: 401 });
      }
    });
  });
});
