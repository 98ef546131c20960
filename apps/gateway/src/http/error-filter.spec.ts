import { AnalyticsSummary, AuthenticateUser, RegisterUser } from '@mediamagic/contracts';
import { ConflictError, UnavailableError } from '@mediamagic/errors';
import { RemoteError } from '@mediamagic/pubsub';
import { HttpException, Logger } from '@nestjs/common';
import type { InjectOptions } from 'fastify';
import { connect, type AddressInfo } from 'node:net';
import { AccessTokens } from '../auth/access-tokens';
import { aUser, startTestGateway, type TestGateway } from '../testing/test-gateway';
import { errorAnswer } from './error-filter';

describe('error answers', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await startTestGateway();
  });
  afterEach(() => gateway.close());

  const registration = { email: 'ada@example.com', name: 'Ada', password: 'correct horse' };
  const json = { 'content-type': 'application/json' };

  type Case = [string, InjectOptions & { auth?: boolean }, { statusCode: number; message: unknown }];
  // One shape, whoever failed: toEqual, so an extra field (Nest's `error`, Fastify's `code`) fails the test.
  it.each<Case>([
    ['an unknown route', { method: 'GET', url: '/nowhere' }, { statusCode: 404, message: 'Cannot GET /nowhere' }],
    ['malformed JSON', { method: 'POST', url: '/users', headers: json, payload: '{"email": ' }, { statusCode: 400, message: expect.any(String) }],
    ['an empty JSON body', { method: 'POST', url: '/users', headers: json, payload: '' }, { statusCode: 400, message: expect.any(String) }],
    [
      'a body over 64 KiB',
      { method: 'POST', url: '/users', payload: { ...registration, name: 'x'.repeat(65 * 1024) } },
      { statusCode: 413, message: expect.any(String) },
    ],
    [
      'a body that is not JSON',
      { method: 'POST', url: '/users', headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
      { statusCode: 415, message: expect.any(String) },
    ],
    [
      'an invalid field',
      { method: 'POST', url: '/users', payload: { ...registration, admin: true } },
      { statusCode: 400, message: expect.stringContaining('"admin"') },
    ],
    [
      'an invalid Idempotency-Key',
      { method: 'POST', url: '/users', headers: { 'idempotency-key': 'ü' }, payload: registration },
      { statusCode: 400, message: expect.stringContaining('Idempotency-Key') },
    ],
    ['a missing token', { method: 'GET', url: '/deployments' }, { statusCode: 401, message: 'a bearer access token is required' }],
    [
      'a malformed id in the path',
      { method: 'GET', url: '/deployments/not-a-uuid', auth: true },
      { statusCode: 404, message: expect.stringContaining('no resource with this id') },
    ],
    ['a malformed URL', { method: 'GET', url: '/deployments/%E0%A4%A' }, { statusCode: 400, message: expect.stringContaining('not a valid url') }],
    [
      'a path parameter over the length limit',
      { method: 'GET', url: `/deployments/${'a'.repeat(101)}`, auth: true },
      { statusCode: 414, message: expect.any(String) },
    ],
  ])('answers %s with {statusCode, message} only', async (_case, { auth, ...request }, body) => {
    const headers = { ...request.headers, ...(auth ? { authorization: `Bearer ${await gateway.tokenFor(aUser().id)}` } : {}) };

    const response = await gateway.inject({ ...request, headers });

    expect({ status: response.statusCode, body: response.json() }).toEqual({ status: body.statusCode, body });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('answers what Node cannot parse as HTTP in the same shape, on the socket', async () => {
    await gateway.app.listen(0, '127.0.0.1');
    const { port } = gateway.app.getHttpServer().address() as AddressInfo;

    const garbage = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
    const oversized = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);

    expect(garbage).toEqual({ status: 400, body: { statusCode: 400, message: 'Bad Request' } });
    expect(oversized).toEqual({ status: 431, body: { statusCode: 431, message: 'Request Header Fields Too Large' } });
  });

  it("hides a service's internal error and a broken reply behind 'internal error'", async () => {
    await gateway.services.reply(AuthenticateUser, () => {
      throw new Error('password hash of ada@example.com is scrypt$...');
    });
    await gateway.services.reply(AnalyticsSummary, () => ({ counts: 'not counts' }) as never);

    const failed = await gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ada@example.com', password: 'correct horse' } });
    const broken = await gateway.inject({ method: 'GET', url: '/analytics/summary' });

    expect({ status: failed.statusCode, body: failed.json() }).toEqual({ status: 500, body: { statusCode: 500, message: 'internal error' } });
    expect({ status: broken.statusCode, body: broken.json() }).toEqual({ status: 502, body: { statusCode: 502, message: 'internal error' } });
  });

  it("turns a service's retryAfterSeconds into Retry-After on its 503 (a full password-hashing queue, say)", async () => {
    await gateway.services.reply(RegisterUser, () => {
      throw new UnavailableError('too many registrations at once', { retryAfterSeconds: 2.5 });
    });

    const response = await gateway.inject({ method: 'POST', url: '/users', payload: registration });

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.json()).toEqual({ statusCode: 503, message: 'too many registrations at once', details: { retryAfterSeconds: 2.5 } });
  });

  it.each<[string, () => never]>([
    [
      'on another status',
      () => {
        throw new ConflictError('taken', { retryAfterSeconds: 5 });
      },
    ],
    [
      'when it is not a number of seconds',
      () => {
        throw new UnavailableError('busy', { retryAfterSeconds: 'soon' });
      },
    ],
  ])('sets no Retry-After from retryAfterSeconds %s', async (_case, fail) => {
    await gateway.services.reply(RegisterUser, fail);

    const response = await gateway.inject({ method: 'POST', url: '/users', payload: registration });

    expect(response.headers['retry-after']).toBeUndefined();
  });

  it("answers a bug of the gateway's own 500 'internal error', and logs what it hides", async () => {
    await gateway.services.reply(AuthenticateUser, () => aUser());
    vi.spyOn(gateway.app.get(AccessTokens), 'issue').mockRejectedValue(new Error('the signing key /etc/secret is unreadable'));
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

    const response = await gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: 'ada@example.com', password: 'correct horse' } });

    expect({ status: response.statusCode, body: response.json() }).toEqual({ status: 500, body: { statusCode: 500, message: 'internal error' } });
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('/etc/secret is unreadable'));
  });
});

describe('errorAnswer', () => {
  it('keeps the message of a timeout and hides that of any other server error', () => {
    expect(errorAnswer(new RemoteError(504, 'no reply on users.get within 5000 ms', 'RequestTimeoutError'))).toEqual({
      statusCode: 504,
      message: 'no reply on users.get within 5000 ms',
    });
    expect(errorAnswer(new RemoteError(500, 'connection to postgres:5432 refused'))).toEqual({ statusCode: 500, message: 'internal error' });
    expect(errorAnswer(new HttpException('Nest had an internal problem', 500))).toEqual({ statusCode: 500, message: 'internal error' });
  });

  it("gives a domain error's details, and joins the messages of a Nest exception that has several", () => {
    expect(errorAnswer(new ConflictError('name taken', { name: 'chat' }))).toEqual({ statusCode: 409, message: 'name taken', details: { name: 'chat' } });
    expect(errorAnswer(new HttpException({ statusCode: 400, message: ['a is wrong', 'b is wrong'], error: 'Bad Request' }, 400))).toEqual({
      statusCode: 400,
      message: 'a is wrong; b is wrong',
    });
  });
});

/** Sends bytes as they are, which no HTTP client would, and reads the status and JSON body of the answer. */
function rawRequest(port: number, bytes: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
    });
  });
}
