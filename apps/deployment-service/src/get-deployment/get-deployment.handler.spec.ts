import { randomUUID } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { CreateDeployment, GetDeployment, GetDeploymentEvents } from '@mediamagic/contracts';
import { type PubSub } from '@mediamagic/pubsub';
import { MemoryBroker } from '@mediamagic/pubsub/testing';
import { failureOf, waitFor } from '@mediamagic/testing';
import { newOwner, startClient, startDeploymentService } from '../testing/deployment-service.testing';

describe('GetDeployment and GetDeploymentEvents', () => {
  const broker = new MemoryBroker();
  let app: TestingModule;
  let client: PubSub;
  beforeAll(async () => {
    // A long delay: the deployment stays in provisioning while the test looks at it.
    app = await startDeploymentService(broker, { provisioningDelayMs: 600_000 });
    ({ client } = await startClient(broker));
  });
  afterAll(async () => {
    await app.close();
    await client.close();
    broker.shutdown();
  });

  it('shows the owner their deployment and its history, oldest first', async () => {
    const owner = newOwner();
    const created = await client.request(CreateDeployment, { owner, name: 'web', model: 'llama', replicas: 2 });

    expect(await client.request(GetDeployment, { ownerId: owner.id, id: created.id })).toMatchObject({ id: created.id, name: 'web', replicas: 2 });
    const { items } = await client.request(GetDeploymentEvents, { ownerId: owner.id, id: created.id });
    expect(items[0]).toEqual({
      version: 1,
      type: 'deployment.created',
      time: created.createdAt,
      data: { name: 'web', model: 'llama', replicas: 2, ownerEmail: owner.email },
      // A memory broker keeps no consumer state: nobody known to have got it (the NATS one is in platform-e2e).
      deliveries: [],
    });
  });

  it('rewinds to a version and to a time, and refuses both at once or a version never reached', async () => {
    const owner = newOwner();
    const created = await client.request(CreateDeployment, { owner, name: 'web', model: 'llama' });
    await waitFor(async () => (await client.request(GetDeployment, { ownerId: owner.id, id: created.id })).version === 2, { message: 'provisioning' });
    const get = (rewind: { version?: number; at?: string }) => client.request(GetDeployment, { ownerId: owner.id, id: created.id, ...rewind });

    expect(await get({ version: 1 })).toEqual(created);
    expect(await get({ version: 2 })).toMatchObject({ status: 'provisioning', version: 2 });
    expect(await get({ at: created.createdAt })).toEqual(created);
    expect((await failureOf(get({ version: 3 }))).statusCode).toBe(404);
    expect((await failureOf(get({ at: new Date(Date.parse(created.createdAt) - 1).toISOString() }))).statusCode).toBe(404);
    expect((await failureOf(get({ version: 1, at: created.createdAt }))).statusCode).toBe(400);
  });

  it("answers 404 for another owner's deployment, exactly as for an unknown id", async () => {
    const created = await client.request(CreateDeployment, { owner: newOwner(), name: 'web', model: 'llama' });
    const stranger = newOwner().id;
    const unknownId = randomUUID();

    for (const definition of [GetDeployment, GetDeploymentEvents]) {
      const notMine = await failureOf(client.request(definition, { ownerId: stranger, id: created.id }));
      const unknown = await failureOf(client.request(definition, { ownerId: stranger, id: unknownId }));
      expect(notMine.statusCode).toBe(404);
      expect(unknown.statusCode).toBe(404);
      expect(notMine.message.replace(created.id, '<id>')).toBe(unknown.message.replace(unknownId, '<id>'));
    }
  });
});
