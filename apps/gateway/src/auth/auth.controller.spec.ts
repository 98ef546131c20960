import { AuthenticateUser, GetUser } from '@mediamagic/contracts';
import { UnauthorizedError } from '@mediamagic/errors';
import { Logger } from '@nestjs/common';
import { SignJWT } from 'jose';
import { aUser, startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../testing/test-gateway';
import { TOKEN_ISSUER } from './access-tokens';

describe('auth', () => {
  let gateway: TestGateway;
  const user = aUser();
  beforeEach(async () => {
    gateway = await startTestGateway();
    await gateway.services.reply(AuthenticateUser, ({ email, password }) => {
      if (email !== user.email || password !== 'correct horse') throw new UnauthorizedError('invalid email or password');
      return user;
    });
    await gateway.services.reply(GetUser, ({ id }) => ({ ...user, id }));
  });
  afterEach(() => gateway.close());

  const me = (authorization?: string) => gateway.inject({ method: 'GET', url: '/users/me', headers: authorization ? { authorization } : {} });

  it('logs in with the right password: an HS256 bearer token for one hour that opens GET /users/me', async () => {
    const response = await gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'correct horse' } });

    expect(response.statusCode).toBe(200);
    const body = response.json<{ accessToken: string; tokenType: string; expiresIn: number }>();
    expect(body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 3600 });
    expect(JSON.parse(Buffer.from(body.accessToken.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'HS256' });
    expect(JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString())).toMatchObject({ sub: user.id });
    const profile = await me(`Bearer ${body.accessToken}`);
    expect(profile.statusCode).toBe(200);
    expect(profile.json()).toMatchObject({ id: user.id, email: user.email });
  });

  it('passes on user-service’s 401, the same for a wrong password and an unknown email', async () => {
    const wrongPassword = await gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email, password: 'wrong password' } });
    const unknownEmail = await gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: 'nobody@example.com', password: 'correct horse' } });

    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongPassword.json()).toEqual({ statusCode: 401, message: 'invalid email or password' });
    expect(unknownEmail.json()).toEqual(wrongPassword.json());
  });

  it('answers 400 to a login without a password', async () => {
    const response = await gateway.inject({ method: 'POST', url: '/auth/login', payload: { email: user.email } });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ message: expect.stringContaining('password') });
  });

  it('answers 401 to a missing, malformed, forged or expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = (secret: string, exp: number) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.id)
        .setIssuer(TOKEN_ISSUER)
        .setIssuedAt(exp - 3600)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const expired = await signed(TEST_JWT_SECRET, now - 60);
    const forged = await signed('another-secret-that-is-also-long-enough!!', now + 3600);

    for (const authorization of [undefined, 'Bearer', 'Bearer not.a.jwt', `Basic ${expired}`, `Bearer ${forged}`, `Bearer ${expired}`]) {
      const response = await me(authorization);
      expect({ authorization, status: response.statusCode }).toEqual({ authorization, status: 401 });
    }
    // The same signing, still valid, is let in: the 401s above are for the reasons named.
    expect((await me(`Bearer ${await signed(TEST_JWT_SECRET, now + 60)}`)).statusCode).toBe(200);
  });

  it('without JWT_SECRET signs with a random secret and warns, without logging it', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const unconfigured = await startTestGateway({});
    try {
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('JWT_SECRET is not set'));
      expect(warn.mock.calls.flat().join(' ')).not.toMatch(/[A-Za-z0-9+/=_-]{32,}/);
      // Its tokens are its own: another gateway's secret does not open it.
      const token = await gateway.tokenFor(user.id);
      await unconfigured.services.reply(GetUser, ({ id }) => ({ ...user, id }));
      expect((await unconfigured.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
      expect(
        (await unconfigured.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${await unconfigured.tokenFor(user.id)}` } }))
          .statusCode,
      ).toBe(200);
    } finally {
      warn.mockRestore();
      await unconfigured.close();
    }
  });
});
