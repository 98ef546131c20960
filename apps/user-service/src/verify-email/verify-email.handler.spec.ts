import { randomUUID } from 'node:crypto';
import { GetUser, RegisterUser, VerifyEmail } from '@mediamagic/contracts';
import { failureOf, waitFor } from '@mediamagic/testing';
import { hashVerificationToken } from '../users/verification-token';
import { newRegistration, startUserService, verificationTokenFor, withIdempotencyKey, type UserServiceHarness } from '../testing/user-service.suite';

describe('VerifyEmail', () => {
  let service: UserServiceHarness;
  beforeAll(async () => {
    service = await startUserService();
  });
  afterAll(() => service.close());

  /** Registers a new user and returns it with the token of its verification email. */
  async function registered() {
    const user = await service.client.request(RegisterUser, newRegistration());
    return { user, token: await verificationTokenFor(service, user.id) };
  }

  const verifiedEventOf = (userId: string) =>
    waitFor(() => service.verified.find((event) => event.payload.userId === userId), { message: `user.verified of ${userId}` });

  it('verifies the email, emits user.verified, and the user shows as verified', async () => {
    const { user, token } = await registered();

    await expect(service.client.request(VerifyEmail, { token })).resolves.toEqual({ id: user.id, email: user.email, emailVerified: true });

    const { payload } = await verifiedEventOf(user.id);
    expect(payload).toEqual({ userId: user.id, email: user.email, verifiedAt: expect.any(String) });
    expect(new Date(payload.verifiedAt).getTime()).toBeGreaterThanOrEqual(new Date(user.createdAt).getTime());
    await expect(service.client.request(GetUser, { id: user.id })).resolves.toMatchObject({ emailVerified: true });
  });

  it('refuses a link that was already used with a 400, and emits nothing more', async () => {
    const { user, token } = await registered();
    await service.client.request(VerifyEmail, { token });

    expect(await failureOf(service.client.request(VerifyEmail, { token }))).toEqual({ statusCode: 400, message: 'this verification link was already used' });
    // Events arrive in order: once a later verification's event is here, a second one for this user would be too.
    const later = await registered();
    await service.client.request(VerifyEmail, { token: later.token });
    await verifiedEventOf(later.user.id);
    expect(service.verified.filter((event) => event.payload.userId === user.id)).toHaveLength(1);
  });

  it('uses up every link the user was sent: an older email verifies nothing more, and user.verified is emitted once', async () => {
    const { user, token: older } = await registered();
    const newer = await verificationTokenFor(service, user.id);

    await service.client.request(VerifyEmail, { token: newer });

    expect(await failureOf(service.client.request(VerifyEmail, { token: older }))).toEqual({
      statusCode: 400,
      message: 'this verification link was already used',
    });
    const later = await registered();
    await service.client.request(VerifyEmail, { token: later.token });
    await verifiedEventOf(later.user.id);
    expect(service.verified.filter((event) => event.payload.userId === user.id)).toHaveLength(1);
  });

  it('refuses an unknown token with a 400', async () => {
    expect(await failureOf(service.client.request(VerifyEmail, { token: 'no-such-token' }))).toEqual({
      statusCode: 400,
      message: 'unknown verification token',
    });
  });

  it('refuses a link older than 24 hours with a 400 and leaves the user unverified', async () => {
    const { user, token } = await registered();
    // The clock moves on in the database instead of the test sleeping a day.
    await service.db.query(`update verification_tokens set expires_at = now() - interval '1 second' where token_hash = $1`, [hashVerificationToken(token)]);

    expect(await failureOf(service.client.request(VerifyEmail, { token }))).toEqual({ statusCode: 400, message: 'this verification link has expired' });
    await expect(service.client.request(GetUser, { id: user.id })).resolves.toMatchObject({ emailVerified: false });
  });

  it('gives the link 24 hours', async () => {
    const { user } = await registered();

    const [{ hours }] = (await service.db.query<{ hours: number }>(
      'select extract(epoch from expires_at - created_at)::int / 3600 as hours from verification_tokens where user_id = $1',
      [user.id],
    )) as [{ hours: number }];

    expect(hours).toBe(24);
  });

  it('answers a repeat with the same Idempotency-Key with the first answer, not "already used", and emits once', async () => {
    const { user, token } = await registered();
    const key = `k1-${randomUUID()}`;

    const first = await service.client.request(VerifyEmail, { token }, withIdempotencyKey(key));
    const again = await service.client.request(VerifyEmail, { token }, withIdempotencyKey(key));

    expect(again).toEqual(first);
    const { message } = await verifiedEventOf(user.id);
    expect(message.idempotencyKey).toBe(key);
    const later = await registered();
    await service.client.request(VerifyEmail, { token: later.token });
    await verifiedEventOf(later.user.id);
    expect(service.verified.filter((event) => event.payload.userId === user.id)).toHaveLength(1);
  });

  it('answers 400 to a request without a token', async () => {
    expect((await failureOf(service.client.request(VerifyEmail, {} as never))).statusCode).toBe(400);
  });
});
