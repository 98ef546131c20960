import type { TestingModule } from '@nestjs/testing';
import { CreateDeployment, ListDeployments } from '@mediamagic/contracts';
import { type PubSub } from '@mediamagic/pubsub';
import { MemoryBroker } from '@mediamagic/pubsub/testing';
import { failureOf } from '@mediamagic/testing';
import { newOwner, startClient, startDeploymentService } from '../testing/deployment-service.testing';

describe('ListDeployments', () => {
  const broker = new MemoryBroker();
  let app: TestingModule;
  let client: PubSub;
  beforeAll(async () => {
    app = await startDeploymentService(broker, { provisioningDelayMs: 600_000 });
    ({ client } = await startClient(broker));
  });
  afterAll(async () => {
    await app.close();
    await client.close();
    broker.shutdown();
  });

  it("lists only the owner's deployments, newest first, a page at a time", async () => {
    const owner = newOwner();
    const created = [];
    for (const name of ['one', 'two', 'three', 'four', 'five']) created.push(await client.request(CreateDeployment, { owner, name, model: 'llama' }));
    await client.request(CreateDeployment, { owner: newOwner(), name: 'not mine', model: 'llama' });

    const first = await client.request(ListDeployments, { ownerId: owner.id, limit: 2 });
    const second = await client.request(ListDeployments, { ownerId: owner.id, limit: 2, cursor: first.nextCursor! });
    const last = await client.request(ListDeployments, { ownerId: owner.id, limit: 2, cursor: second.nextCursor! });

    expect([first.items.length, second.items.length, last.items.length]).toEqual([2, 2, 1]);
    expect(first.nextCursor).toEqual(expect.any(String));
    expect(last.nextCursor).toBeNull();
    const listed = [...first.items, ...second.items, ...last.items];
    expect(listed.map((d) => d.id).sort()).toEqual(created.map((d) => d.id).sort());
    const times = listed.map((d) => d.createdAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('answers one page with a null cursor when everything fits, and an empty page for a new owner', async () => {
    const owner = newOwner();
    const deployment = await client.request(CreateDeployment, { owner, name: 'solo', model: 'llama' });

    expect(await client.request(ListDeployments, { ownerId: owner.id })).toEqual({ items: [deployment], nextCursor: null });
    expect(await client.request(ListDeployments, { ownerId: newOwner().id })).toEqual({ items: [], nextCursor: null });
  });

  it('refuses a cursor it did not make with 400', async () => {
    const error = await failureOf(client.request(ListDeployments, { ownerId: newOwner().id, cursor: 'not-a-cursor' }));
    expect(error).toMatchObject({ statusCode: 400, message: 'invalid cursor' });
  });
});
