import { randomUUID } from 'node:crypto';
import type { TestingModule } from '@nestjs/testing';
import { CreateDeployment, GetDeployment, GetDeploymentEvents } from '@mediamagic/contracts';
import { type PubSub } from '@mediamagic/pubsub';
import { MemoryBroker } from '@mediamagic/pubsub/testing';
import { failureOf } from '@mediamagic/testing';
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
    });
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
