import { randomUUID } from 'node:crypto';
import { GetUser, RegisterUser } from '@mediamagic/contracts';
import { failureOf } from '@mediamagic/testing';
import { newRegistration, startUserService, type UserServiceHarness } from '../testing/user-service.suite';

describe('GetUser', () => {
  let service: UserServiceHarness;
  beforeAll(async () => {
    service = await startUserService();
  });
  afterAll(() => service.close());

  it('answers the public view of a user', async () => {
    const user = await service.client.request(RegisterUser, newRegistration());

    await expect(service.client.request(GetUser, { id: user.id })).resolves.toEqual(user);
  });

  it('answers 404 to an unknown id', async () => {
    expect(await failureOf(service.client.request(GetUser, { id: randomUUID() }))).toEqual({ statusCode: 404, message: 'user not found' });
  });

  it('answers 400 to an id that is not a uuid', async () => {
    expect((await failureOf(service.client.request(GetUser, { id: 'u1' } as never))).statusCode).toBe(400);
  });
});
