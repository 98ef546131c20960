import { createHash } from 'node:crypto';
import { GetUser, RegisterUser, VerifyEmail } from '@mediamagic/contracts';
import { ConflictError, InvalidError } from '@mediamagic/errors';
import { aUser, startTestGateway, type TestGateway } from '../testing/test-gateway';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('users', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await startTestGateway();
  });
  afterEach(() => gateway.close());

  const registration = { email: 'Ada@Example.com', name: 'Ada', password: 'correct horse' };

  describe('POST /users', () => {
    it('registers the user: 201 with the public view, the email lower-cased on its way to user-service', async () => {
      const received: unknown[] = [];
      await gateway.services.reply(RegisterUser, (request) => {
        received.push(request);
        return aUser({ email: request.email, name: request.name, emailVerified: false });
      });

      const response = await gateway.inject({ method: 'POST', url: '/users', payload: registration });

      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ id: expect.any(String), email: 'ada@example.com', name: 'Ada', emailVerified: false, createdAt: expect.any(String) });
      expect(received).toEqual([{ email: 'ada@example.com', name: 'Ada', password: 'correct horse' }]);
    });

    it('rejects an unknown field with a 400 that names it, without asking user-service', async () => {
      const register = vi.fn(() => aUser());
      await gateway.services.reply(RegisterUser, register);

      const response = await gateway.inject({ method: 'POST', url: '/users', payload: { ...registration, admin: true } });

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ statusCode: 400, message: expect.stringContaining('"admin"') });
      expect(register).not.toHaveBeenCalled();
    });

    it('rejects a bad email and a short password with a 400 naming each field', async () => {
      const response = await gateway.inject({ method: 'POST', url: '/users', payload: { email: 'not-an-email', name: 'Ada', password: 'short' } });

      expect(response.statusCode).toBe(400);
      const { message } = response.json<{ message: string }>();
      expect(message).toMatch(/email: /);
      expect(message).toContain('password: must be at least 8 characters');
    });

    it('passes the 409 of a taken email through', async () => {
      await gateway.services.reply(RegisterUser, () => {
        throw new ConflictError('ada@example.com is already registered');
      });

      const response = await gateway.inject({ method: 'POST', url: '/users', payload: registration });

      expect(response.statusCode).toBe(409);
      expect(response.json()).toEqual({ statusCode: 409, message: 'ada@example.com is already registered' });
    });

    it('sends an Idempotency-Key of its own to user-service, derived from the caller’s and the email, and the X-Request-Id', async () => {
      const seen: Array<{ idempotencyKey?: string; correlationId?: string }> = [];
      await gateway.services.reply(RegisterUser, (request, message) => {
        seen.push({ idempotencyKey: message.idempotencyKey, correlationId: message.correlationId });
        return aUser({ email: request.email });
      });

      const response = await gateway.inject({
        method: 'POST',
        url: '/users',
        headers: { 'idempotency-key': 'register-ada-1', 'x-request-id': 'trace-42' },
        payload: registration,
      });

      expect(response.statusCode).toBe(201);
      expect(response.headers['x-request-id']).toBe('trace-42');
      expect(seen).toEqual([{ idempotencyKey: sha256('register-ada-1\nada@example.com'), correlationId: 'trace-42' }]);
    });

    it('keeps the Idempotency-Keys of callers apart: the same key for another email or token is another key', async () => {
      const keys: Array<string | undefined> = [];
      await gateway.services.reply(RegisterUser, (request, message) => {
        keys.push(message.idempotencyKey);
        return aUser({ email: request.email });
      });
      await gateway.services.reply(VerifyEmail, (_request, message) => {
        keys.push(message.idempotencyKey);
        return { id: aUser().id, email: 'ada@example.com', emailVerified: true as const };
      });
      const post = (url: string, payload: object) => gateway.inject({ method: 'POST', url, headers: { 'idempotency-key': 'retry-1' }, payload });

      await post('/users', registration);
      await post('/users', registration);
      await post('/users', { ...registration, email: 'grace@example.com' });
      await post('/users/verify', { token: 'token-of-ada' });
      await post('/users/verify', { token: 'token-of-grace' });

      // A repeat by the same caller keeps its key, so it still gets the first answer; the others are apart.
      expect(keys[0]).toBe(keys[1]);
      expect(new Set(keys).size).toBe(4);
      expect(keys).not.toContain('retry-1');
    });

    it('gives a request without a usable X-Request-Id a new one', async () => {
      const response = await gateway.inject({ method: 'POST', url: '/users', headers: { 'x-request-id': 'has spaces' }, payload: {} });

      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it.each([
      ['empty', ''],
      ['too long', 'k'.repeat(201)],
      ['with a space', 'two words'],
      ['not ASCII', 'clé'],
    ])('rejects an Idempotency-Key that is %s with a 400', async (_case, key) => {
      const register = vi.fn(() => aUser());
      await gateway.services.reply(RegisterUser, register);

      const response = await gateway.inject({ method: 'POST', url: '/users', headers: { 'idempotency-key': key }, payload: registration });

      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ statusCode: 400, message: expect.stringContaining('Idempotency-Key') });
      expect(register).not.toHaveBeenCalled();
    });
  });

  describe('POST /users/verify', () => {
    it('verifies with the token: 200', async () => {
      const user = aUser();
      await gateway.services.reply(VerifyEmail, ({ token }) => {
        if (token !== 'good-token') throw new InvalidError('unknown token');
        return { id: user.id, email: user.email, emailVerified: true as const };
      });

      const response = await gateway.inject({ method: 'POST', url: '/users/verify', payload: { token: 'good-token' } });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ id: user.id, email: user.email, emailVerified: true });
    });

    it("passes user-service's 400 for an unknown, used or expired token through", async () => {
      await gateway.services.reply(VerifyEmail, () => {
        throw new InvalidError('this verification token has already been used');
      });

      const response = await gateway.inject({ method: 'POST', url: '/users/verify', payload: { token: 'used' } });

      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ statusCode: 400, message: 'this verification token has already been used' });
    });
  });

  describe('GET /users/me', () => {
    it('answers the user the access token belongs to', async () => {
      const user = aUser();
      await gateway.services.reply(GetUser, ({ id }) => ({ ...user, id }));

      const response = await gateway.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${await gateway.tokenFor(user.id)}` } });

      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual(user);
    });

    it('answers 401 without a token', async () => {
      const response = await gateway.inject({ method: 'GET', url: '/users/me' });

      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.json()).toEqual({ statusCode: 401, message: 'a bearer access token is required' });
    });
  });
});
