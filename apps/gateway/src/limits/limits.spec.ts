import { AuthenticateUser, RegisterUser, VerifyEmail } from '@mediamagic/contracts';
import { UnauthorizedError } from '@mediamagic/errors';
import { startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { aUser, startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../testing/test-gateway';

describe('the limits of the routes anybody may call, counted in NATS and shared by the gateway replicas', () => {
  let nats: NatsServer;
  const started: TestGateway[] = [];
  const user = aUser({ email: 'ada@example.com' });
  let authentications = 0;
  let lastAddress = 0;
  /** A client address of its own for each use: the counts of one test stay in the bucket for the next. */
  const anAddress = () => `198.51.100.${++lastAddress}`;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  beforeEach(() => {
    authentications = 0;
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((gateway) => gateway.close()));
  });
  afterAll(() => nats?.dispose());

  /** A gateway replica on the test's NATS, user-service played by the test (the password is 'correct horse'). */
  async function aGateway(env: Record<string, string> = {}): Promise<TestGateway> {
    // AUTH_RATE_LIMIT as the gateway's default (the test gateway's is 0).
    const gateway = await startTestGateway({ JWT_SECRET: TEST_JWT_SECRET, NATS_ADDR: nats.url, AUTH_RATE_LIMIT: '30', ...env });
    started.push(gateway);
    await gateway.services.reply(RegisterUser, (request) => aUser({ email: request.email, emailVerified: false }));
    await gateway.services.reply(VerifyEmail, () => ({ id: user.id, email: user.email, emailVerified: true as const }));
    await gateway.services.reply(AuthenticateUser, ({ email, password }) => {
      authentications++;
      if (email !== user.email || password !== 'correct horse') throw new UnauthorizedError('invalid email or password');
      return user;
    });
    return gateway;
  }

  // The four routes share one budget per address.
  const AUTH_ROUTES: InjectOptions[] = [
    { method: 'POST', url: '/users', payload: { email: 'grace@example.com', name: 'Grace', password: 'correct horse' } },
    { method: 'POST', url: '/users/verify', payload: { token: 'a-token' } },
    { method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'correct horse' } },
    { method: 'GET', url: '/verify?token=a-token' },
  ];
  const statuses = (responses: LightMyRequestResponse[]) => responses.map((response) => response.statusCode);

  function expectLimited(response: LightMyRequestResponse, message: RegExp): void {
    expect(response.statusCode).toBe(429);
    const retryAfter = Number(response.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(response.json()).toEqual({ statusCode: 429, message: expect.stringMatching(message), details: { retryAfterSeconds: retryAfter } });
  }

  it('answers the 31st request of a minute from one address 429 with Retry-After, whichever replica it reaches', async () => {
    const replicas = [await aGateway(), await aGateway()];
    const address = anAddress();

    // All at once, spread over both replicas: each is counted once, none lost to a concurrent one.
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => replicas[i % 2].inject({ ...AUTH_ROUTES[i % AUTH_ROUTES.length], remoteAddress: address })),
    );

    expect(statuses(responses).filter((status) => status !== 429)).toHaveLength(30);
    for (const replica of replicas) {
      for (const route of AUTH_ROUTES) expectLimited(await replica.inject({ ...route, remoteAddress: address }), /too many requests from this address/);
    }
    // Another client is served as before, and the routes anybody may call are the only ones limited.
    expect((await replicas[1].inject({ ...AUTH_ROUTES[0], remoteAddress: anAddress() })).statusCode).toBe(201);
    expect((await replicas[0].inject({ method: 'GET', url: '/health', remoteAddress: address })).statusCode).toBe(200);
  });

  it('without TRUST_PROXY counts the socket’s address, whatever X-Forwarded-For says', async () => {
    const gateway = await aGateway();
    const address = anAddress();

    const responses = await Promise.all(
      Array.from({ length: 31 }, () => gateway.inject({ ...AUTH_ROUTES[0], remoteAddress: address, headers: { 'x-forwarded-for': anAddress() } })),
    );

    expect(statuses(responses).filter((status) => status === 429)).toHaveLength(1);
  });

  it('with TRUST_PROXY counts the right-most X-Forwarded-For address that is not a trusted proxy', async () => {
    const gateway = await aGateway({ TRUST_PROXY: 'true' });
    const ingress = '10.1.2.3';
    const [client, neighbour] = [anAddress(), anAddress()];

    // What a client writes itself (the left of the list) changes nothing: the ingress appends the address it saw.
    const responses = await Promise.all(
      Array.from({ length: 31 }, () =>
        gateway.inject({ ...AUTH_ROUTES[0], remoteAddress: ingress, headers: { 'x-forwarded-for': `${anAddress()}, ${client}` } }),
      ),
    );
    const other = await gateway.inject({ ...AUTH_ROUTES[0], remoteAddress: ingress, headers: { 'x-forwarded-for': neighbour } });
    const garbled = await gateway.inject({ ...AUTH_ROUTES[0], remoteAddress: ingress, headers: { 'x-forwarded-for': `${client}, not-an-address` } });

    expect(statuses(responses).filter((status) => status === 429)).toHaveLength(1);
    expect(other.statusCode).toBe(201);
    expect(garbled.statusCode).toBe(400);
    expect(garbled.json()).toEqual({ statusCode: 400, message: 'X-Forwarded-For must list IP addresses' });
  });

  it('slows down the failed logins of an account, and lets the right password in once the wait is over', async () => {
    // A generous rate limit: this test polls.
    const gateway = await aGateway({ AUTH_RATE_LIMIT: '1000' });
    const address = anAddress();
    const login = (password: string, remoteAddress = address) =>
      gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password }, remoteAddress });
    const loginWhenAllowed = (password: string) =>
      waitFor(
        async () => {
          const response = await login(password);
          return response.statusCode !== 429 && response;
        },
        { timeoutMs: 5_000, intervalMs: 100, message: 'the wait after the failed logins to be over' },
      );

    expect(statuses(await Promise.all(Array.from({ length: 5 }, () => login('wrong password'))))).toEqual([401, 401, 401, 401, 401]);
    authentications = 0;
    const slowed = await login('correct horse');
    // Answered at once: user-service hashes no password for it.
    expectLimited(slowed, /too many failed logins for this account/);
    expect(slowed.headers['retry-after']).toBe('1');
    expect(authentications).toBe(0);
    // The owner, elsewhere, is not kept out by what was tried from this address.
    expect((await login('correct horse', anAddress())).statusCode).toBe(200);

    // Each further failure doubles the wait.
    expect((await loginWhenAllowed('wrong password')).statusCode).toBe(401);
    expect((await login('correct horse')).headers['retry-after']).toBe('2');

    // Once it is over, the right password is let in, and the failures are forgotten.
    expect((await loginWhenAllowed('correct horse')).statusCode).toBe(200);
    expect(statuses(await Promise.all(Array.from({ length: 5 }, () => login('wrong password'))))).toEqual([401, 401, 401, 401, 401]);
    expect((await login('correct horse')).statusCode).toBe(429);
  });

  it('with AUTH_RATE_LIMIT=0 limits nothing and needs no NATS', async () => {
    const gateway = await aGateway({ AUTH_RATE_LIMIT: '0', NATS_ADDR: 'nats://127.0.0.1:1' });
    const address = anAddress();

    const registrations = await Promise.all(Array.from({ length: 40 }, () => gateway.inject({ ...AUTH_ROUTES[0], remoteAddress: address })));
    const logins = await Promise.all(
      Array.from({ length: 8 }, () =>
        gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'wrong' }, remoteAddress: address }),
      ),
    );

    expect(new Set(statuses(registrations))).toEqual(new Set([201]));
    expect(new Set(statuses(logins))).toEqual(new Set([401]));
    expect(authentications).toBe(8);
  });
});
