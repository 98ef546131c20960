import { randomUUID } from 'node:crypto';
import { RegisterUser, UserView } from '@mediamagic/contracts';
import { defineRequest } from '@mediamagic/pubsub';
import { z } from 'zod';
import { failureOf } from '@mediamagic/testing';
import { newRegistration, registeredEventOf, startUserService, withIdempotencyKey, type UserServiceHarness } from '../testing/user-service.suite';

/** The contract with the reply as it arrives, not parsed: what a test of leaks must read. */
const RegisterUserAsReceived = defineRequest({ ...RegisterUser, response: z.unknown() });

describe('RegisterUser', () => {
  let service: UserServiceHarness;
  beforeAll(async () => {
    service = await startUserService();
  });
  afterAll(() => service.close());

  it('creates an unverified user and answers its public view, without the password, hash or token', async () => {
    const registration = newRegistration({ email: `Grace.${randomUUID()}@Example.com`, name: '  Grace Hopper ' });

    const user = await service.client.request(RegisterUser, registration);

    expect(user).toEqual({
      id: expect.any(String),
      email: registration.email.toLowerCase(),
      name: 'Grace Hopper',
      emailVerified: false,
      createdAt: expect.any(String),
    });
    expect(UserView.strict().safeParse(user).success).toBe(true);
    const raw = JSON.stringify(await service.client.request(RegisterUserAsReceived, newRegistration({ password: 'a password nobody may see' })));
    expect(raw).not.toMatch(/password|token|hash|scrypt|a password nobody may see/);
  });

  it('emits user.registered without a token, link or hash: the USER stream keeps it for days, readable by other services', async () => {
    const registration = newRegistration();
    const user = await service.client.request(RegisterUser, registration);

    const { message } = await registeredEventOf(service, registration.email);

    // The message as the stream stores it, not as the contract parses it (which drops fields it does not know).
    expect(JSON.parse(new TextDecoder().decode(message.data))).toEqual({
      userId: user.id,
      email: registration.email,
      name: registration.name,
      registeredAt: user.createdAt,
    });
    expect(JSON.stringify(message.headers)).not.toMatch(/token|verify|https?:/i);
  });

  it('stores a salted scrypt hash, never the password', async () => {
    const registration = newRegistration({ password: 'my very secret password' });
    const twin = newRegistration({ password: 'my very secret password' });
    await service.client.request(RegisterUser, registration);
    await service.client.request(RegisterUser, twin);

    const rows = await service.db.query<{ email: string; password_hash: string }>('select email, password_hash from users where email = any($1)', [
      [registration.email, twin.email],
    ]);
    for (const { password_hash } of rows) {
      expect(password_hash).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(password_hash).not.toContain('secret');
    }
    expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash);
  });

  it('refuses an email that is already registered, whatever its case, with a 409', async () => {
    const registration = newRegistration();
    await service.client.request(RegisterUser, registration);

    for (const email of [registration.email, registration.email.toUpperCase()]) {
      expect(await failureOf(service.client.request(RegisterUser, { ...registration, email, name: 'Someone Else' }))).toEqual({
        statusCode: 409,
        message: 'email is already registered',
      });
    }
    const [{ count }] = (await service.db.query<{ count: number }>('select count(*)::int as count from users where email = $1', [registration.email])) as [
      { count: number },
    ];
    expect(count).toBe(1);
  });

  it.each([
    ['a short password', { password: 'short' }, /password: must be at least 8 characters/],
    ['an invalid email', { email: 'not-an-email' }, /email/],
    ['an empty name', { name: '   ' }, /name/],
    ['an unknown field', { isAdmin: true }, /isAdmin/],
  ])('answers 400 to %s', async (_case, change, reason) => {
    const failure = await failureOf(service.client.request(RegisterUser, { ...newRegistration(), ...change } as never));

    expect(failure.statusCode).toBe(400);
    expect(failure.message).toMatch(reason);
  });

  it('answers a repeat with the same Idempotency-Key with the same user and emits user.registered once, carrying the key', async () => {
    const key = `k1-${randomUUID()}`;
    const registration = newRegistration();

    const first = await service.client.request(RegisterUser, registration, withIdempotencyKey(key));
    const again = await service.client.request(RegisterUser, registration, withIdempotencyKey(key));

    expect(again).toEqual(first);
    const { message } = await registeredEventOf(service, registration.email);
    expect(message.idempotencyKey).toBe(key);
    // Events arrive in order: once a later registration's event is here, a second one for the first would be too.
    const later = newRegistration();
    await service.client.request(RegisterUser, later);
    await registeredEventOf(service, later.email);
    expect(service.registered.filter((event) => event.payload.email === registration.email)).toHaveLength(1);
  });

  it('answers 409 when an Idempotency-Key is reused for a different registration', async () => {
    const key = `k2-${randomUUID()}`;
    await service.client.request(RegisterUser, newRegistration(), withIdempotencyKey(key));

    const failure = await failureOf(service.client.request(RegisterUser, newRegistration(), withIdempotencyKey(key)));

    expect(failure.statusCode).toBe(409);
  });
});
