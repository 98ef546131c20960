import type { TestingModule } from '@nestjs/testing';
import { CreateDeployment, DeleteDeployment, GetDeployment, GetDeploymentEvents } from '@mediamagic/contracts';
import { type PubSub } from '@mediamagic/pubsub';
import { MemoryBroker } from '@mediamagic/pubsub/testing';
import { failureOf, waitFor } from '@mediamagic/testing';
import { RolloutWorker } from '../rollout/rollout.worker';
import { emittedFor, newOwner, startClient, startDeploymentService, type Emitted } from '../testing/deployment-service.testing';

describe('DeleteDeployment', () => {
  const broker = new MemoryBroker();
  let app: TestingModule;
  let client: PubSub;
  let emitted: Emitted[];
  let requestIds: readonly string[];
  beforeAll(async () => {
    // Provisioning outlasts the test: the rollout's timer firing is played by the test itself.
    app = await startDeploymentService(broker, { provisioningDelayMs: 600_000 });
    ({ client, emitted, requestIds } = await startClient(broker));
  });
  afterAll(async () => {
    await app.close();
    await client.close();
    broker.shutdown();
  });

  async function provisioningDeployment() {
    const owner = newOwner();
    const deployment = await client.request(CreateDeployment, { owner, name: 'web', model: 'llama' });
    await waitFor(async () => (await client.request(GetDeployment, { ownerId: owner.id, id: deployment.id })).status === 'provisioning', {
      message: 'provisioning to start',
    });
    return { owner, deployment };
  }

  it('deletes the deployment and emits deployment.deleted in the context of its request; deleting again changes nothing', async () => {
    const { owner, deployment } = await provisioningDeployment();

    const deleted = await client.request(DeleteDeployment, { ownerId: owner.id, id: deployment.id }, { context: { correlationId: 'delete-1' } });
    const deleteRequestId = requestIds.at(-1);
    const again = await client.request(DeleteDeployment, { ownerId: owner.id, id: deployment.id });

    expect(deleted).toMatchObject({ id: deployment.id, status: 'deleted' });
    expect(again).toEqual(deleted);
    expect(await client.request(GetDeployment, { ownerId: owner.id, id: deployment.id })).toEqual(deleted);
    const event = await waitFor(() => emittedFor(emitted, deployment.id).find((e) => e.subject === 'deployment.deleted'), { message: 'deployment.deleted' });
    expect(event.payload).toEqual({
      deploymentId: deployment.id,
      ownerId: owner.id,
      ownerEmail: owner.email,
      name: 'web',
      model: 'llama',
      deletedAt: deleted.updatedAt,
    });
    expect(event).toMatchObject({ correlationId: 'delete-1', causationId: deleteRequestId });
    const { items } = await client.request(GetDeploymentEvents, { ownerId: owner.id, id: deployment.id });
    expect(items.filter((item) => item.type === 'deployment.deleted')).toHaveLength(1);
  });

  it('stops the rollout of a deployment deleted during provisioning', async () => {
    const { owner, deployment } = await provisioningDeployment();
    await client.request(DeleteDeployment, { ownerId: owner.id, id: deployment.id });

    // The provisioning timer fires long after the delay: the rollout finds the deployment deleted.
    await app.get(RolloutWorker).advance(deployment.id, new Date(Date.now() + 3_600_000));

    const { items } = await client.request(GetDeploymentEvents, { ownerId: owner.id, id: deployment.id });
    expect(items.map((item) => item.type)).toEqual(['deployment.created', 'deployment.provisioning-started', 'deployment.deleted']);
    expect((await client.request(GetDeployment, { ownerId: owner.id, id: deployment.id })).status).toBe('deleted');
    expect(emittedFor(emitted, deployment.id).map((e) => e.subject)).not.toContain('deployment.succeeded');
  });

  it("answers 404 for another owner's deployment and leaves it alone", async () => {
    const { owner, deployment } = await provisioningDeployment();

    const error = await failureOf(client.request(DeleteDeployment, { ownerId: newOwner().id, id: deployment.id }));

    expect(error).toMatchObject({ statusCode: 404, message: `deployment ${deployment.id} not found` });
    expect((await client.request(GetDeployment, { ownerId: owner.id, id: deployment.id })).status).toBe('provisioning');
  });
});
