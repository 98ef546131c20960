import { AuthenticateUser, RegisterUser } from '@mediamagic/contracts';
import { failureOf, waitFor } from '@mediamagic/testing';
import * as password from '../users/password';
import { newRegistration, startUserService, type UserServiceHarness } from '../testing/user-service.suite';

// Wrapped, not replaced: the real scrypt runs, and the test can count how often.
vi.mock('../users/password', async (actual) => {
  const real = await actual<typeof import('../users/password')>();
  return { ...real, hashPassword: vi.fn(real.hashPassword), verifyPassword: vi.fn(real.verifyPassword) };
});

describe('AuthenticateUser', () => {
  let service: UserServiceHarness;
  const registration = newRegistration({ password: 'correct horse battery' });
  beforeAll(async () => {
    service = await startUserService();
    await service.client.request(RegisterUser, registration);
  });
  afterAll(() => service.close());

  it('answers the user for the right email and password, and publishes user.logged-in', async () => {
    const before = service.loggedIn.length;

    const user = await service.client.request(AuthenticateUser, { email: registration.email.toUpperCase(), password: 'correct horse battery' });

    expect(user).toEqual({ id: expect.any(String), email: registration.email, name: registration.name, emailVerified: false, createdAt: expect.any(String) });
    const [event] = await waitFor(() => service.loggedIn.length > before && service.loggedIn.slice(before), { message: 'user.logged-in' });
    expect(event).toMatchObject({ name: 'user.logged-in', source: 'user-service', count: 1 });
  });

  it('answers 401 to a wrong password', async () => {
    expect(await failureOf(service.client.request(AuthenticateUser, { email: registration.email, password: 'wrong horse battery' }))).toEqual({
      statusCode: 401,
      message: 'invalid email or password',
    });
  });

  it('answers 401 with the same message to an unknown email, after hashing once so the time does not tell', async () => {
    vi.mocked(password.hashPassword).mockClear();

    expect(await failureOf(service.client.request(AuthenticateUser, { email: 'nobody@example.com', password: 'correct horse battery' }))).toEqual({
      statusCode: 401,
      message: 'invalid email or password',
    });
    expect(password.hashPassword).toHaveBeenCalledTimes(1);
  });

  it('answers 400 to a request without a password', async () => {
    expect((await failureOf(service.client.request(AuthenticateUser, { email: registration.email } as never))).statusCode).toBe(400);
  });
});
