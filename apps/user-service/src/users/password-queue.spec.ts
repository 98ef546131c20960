import { AuthenticateUser, RegisterUser } from '@mediamagic/contracts';
import { waitFor } from '@mediamagic/testing';
import * as password from './password';
import { newRegistration, startUserService, type UserServiceHarness } from '../testing/user-service.suite';

// Wrapped, not replaced: the real scrypt runs, and the test can count it and hold it.
vi.mock('./password', async (actual) => {
  const real = await actual<typeof import('./password')>();
  return { ...real, hashPassword: vi.fn(real.hashPassword), verifyPassword: vi.fn(real.verifyPassword) };
});
const hashed = vi.mocked(password.hashPassword);
/** For the requests that must succeed: scrypt on a busy machine may take seconds per hash. */
const PATIENT = { timeoutMs: 30_000 };

/** The next hash starts and then waits until `release()`: a slot the test keeps busy. */
async function holdNextHash(): Promise<{ release: () => void }> {
  const { hashPassword } = await vi.importActual<typeof import('./password')>('./password');
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  hashed.mockImplementationOnce(async (secret) => {
    await held;
    return hashPassword(secret);
  });
  return { release };
}

describe('the password queue', () => {
  let service: UserServiceHarness;
  beforeAll(async () => {
    // One slot and one waiting place: the third at once is one too many.
    service = await startUserService({ passwordQueue: { concurrency: 1, maxWaiting: 1 } });
  });
  afterAll(() => service.close());
  beforeEach(() => {
    hashed.mockClear();
  });

  it('answers 503 with retryAfterSeconds at once when its slots and waiting places are taken, to a sign-up and a login', async () => {
    const { client } = service;
    const { release } = await holdNextHash();
    const hashing = client.request(RegisterUser, newRegistration(), PATIENT);
    await waitFor(() => hashed.mock.calls.length === 1, { message: 'the first hash to start' });
    const waiting = client.request(RegisterUser, newRegistration(), PATIENT);

    // Answered while the only slot is still held: nobody waited for a turn.
    for (const refused of [client.request(RegisterUser, newRegistration()), client.request(AuthenticateUser, { email: 'ada@example.com', password: 'x' })]) {
      expect(await refused.catch((error: unknown) => error)).toMatchObject({
        statusCode: 503,
        message: 'too many sign-ups and logins at once, try again shortly',
        details: { retryAfterSeconds: expect.any(Number) },
      });
    }
    expect(hashed).toHaveBeenCalledTimes(1);

    release();
    await expect(Promise.all([hashing, waiting])).resolves.toEqual([
      expect.objectContaining({ emailVerified: false }),
      expect.objectContaining({ emailVerified: false }),
    ]);
  });

  it('drops a registration whose deadline passed while it waited: never hashed, not registered', async () => {
    const { client } = service;
    const [first, expired, later] = ['first', 'expired', 'later'].map((name) => newRegistration({ password: `the ${name} password` }));
    const { release } = await holdNextHash();
    const hashing = client.request(RegisterUser, first, PATIENT);
    await waitFor(() => hashed.mock.calls.length === 1, { message: 'the first hash to start' });

    await expect(client.request(RegisterUser, expired, { timeoutMs: 200 })).rejects.toMatchObject({ statusCode: 504 });
    release();
    await hashing;
    // The queue is first come, first served: once a later registration is answered, the expired one had its turn.
    await client.request(RegisterUser, later, PATIENT);

    expect(hashed.mock.calls.map(([secret]) => secret)).toEqual([first.password, later.password]);
    const registered = await service.db.query<{ email: string }>('select email from users where email = any($1)', [[first.email, expired.email, later.email]]);
    expect(registered.map(({ email }) => email).sort()).toEqual([first.email, later.email].sort());
  });
});
