import { randomUUID } from 'node:crypto';
import { IssueVerificationLink, RegisterUser, VerifyEmail } from '@mediamagic/contracts';
import { failureOf } from '@mediamagic/testing';
import { hashVerificationToken } from '../users/verification-token';
import { newRegistration, PUBLIC_URL, startUserService, tokenOf, verificationTokenFor, type UserServiceHarness } from '../testing/user-service.suite';

describe('IssueVerificationLink', () => {
  let service: UserServiceHarness;
  beforeAll(async () => {
    service = await startUserService();
  });
  afterAll(() => service.close());

  const newUser = () => service.client.request(RegisterUser, newRegistration());

  it('answers a link to PUBLIC_URL/verify whose token verifies the user, once', async () => {
    const user = await newUser();

    const { verificationUrl } = await service.client.request(IssueVerificationLink, { userId: user.id });

    expect(verificationUrl).toMatch(new RegExp(`^${PUBLIC_URL}/verify\\?token=[A-Za-z0-9_-]{43}$`));
    const token = tokenOf(verificationUrl);
    await expect(service.client.request(VerifyEmail, { token })).resolves.toEqual({ id: user.id, email: user.email, emailVerified: true });
    expect((await failureOf(service.client.request(VerifyEmail, { token }))).statusCode).toBe(400);
  });

  it('stores only the sha256 of the token', async () => {
    const user = await newUser();
    const token = await verificationTokenFor(service, user.id);

    const rows = await service.db.query<{ token_hash: string }>('select token_hash from verification_tokens where user_id = $1', [user.id]);

    expect(rows).toEqual([{ token_hash: hashVerificationToken(token) }]);
  });

  it('makes a new link on every call (a redelivered event asks again), each one usable', async () => {
    const user = await newUser();
    const first = await verificationTokenFor(service, user.id);
    const second = await verificationTokenFor(service, user.id);

    expect(second).not.toBe(first);
    await expect(service.client.request(VerifyEmail, { token: first })).resolves.toMatchObject({ id: user.id, emailVerified: true });
  });

  it('answers 409 once the address is verified: a replayed event gets no link to send', async () => {
    const user = await newUser();
    await service.client.request(VerifyEmail, { token: await verificationTokenFor(service, user.id) });

    expect(await failureOf(service.client.request(IssueVerificationLink, { userId: user.id }))).toEqual({
      statusCode: 409,
      message: 'email is already verified',
    });
  });

  it('answers 404 to an unknown user and 400 to an id that is not a uuid', async () => {
    expect(await failureOf(service.client.request(IssueVerificationLink, { userId: randomUUID() }))).toEqual({ statusCode: 404, message: 'user not found' });
    expect((await failureOf(service.client.request(IssueVerificationLink, { userId: 'u1' }))).statusCode).toBe(400);
  });
});
