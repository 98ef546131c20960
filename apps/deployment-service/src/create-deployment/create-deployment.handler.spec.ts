import type { TestingModule } from '@nestjs/testing';
import { CreateDeployment, GetDeployment, GetDeploymentEvents, ListDeployments } from '@mediamagic/contracts';
import { type PubSub } from '@mediamagic/pubsub';
import { MemoryBroker } from '@mediamagic/pubsub/testing';
import { failureOf, waitFor } from '@mediamagic/testing';
import { emittedFor, newOwner, startClient, startDeploymentService, type Emitted } from '../testing/deployment-service.testing';

describe('CreateDeployment', () => {
  const broker = new MemoryBroker();
  let app: TestingModule;
  let client: PubSub;
  let emitted: Emitted[];
  let requestIds: readonly string[];
  beforeAll(async () => {
    app = await startDeploymentService(broker, { provisioningDelayMs: 50 });
    ({ client, emitted, requestIds } = await startClient(broker));
  });
  afterAll(async () => {
    await app.close();
    await client.close();
    broker.shutdown();
  });

  const statusOf = async (ownerId: string, id: string) => (await client.request(GetDeployment, { ownerId, id })).status;

  it('answers pending, then rolls out to running: versions 1..3 in order, each published in its context, with its version', async () => {
    const owner = newOwner();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    const deployment = await client.request(
      CreateDeployment,
      { owner, name: 'web', model: 'llama' },
      { context: { correlationId: 'create-1', idempotencyKey: 'create-key', traceparent } },
    );
    const requestId = requestIds.at(-1);

    expect(deployment).toMatchObject({ name: 'web', model: 'llama', replicas: 1, status: 'pending', ownerId: owner.id });
    await waitFor(async () => (await statusOf(owner.id, deployment.id)) === 'running', { timeoutMs: 10_000, message: 'the deployment to run' });
    const { items } = await client.request(GetDeploymentEvents, { ownerId: owner.id, id: deployment.id });
    expect(items.map(({ version, type }) => ({ version, type }))).toEqual([
      { version: 1, type: 'deployment.created' },
      { version: 2, type: 'deployment.provisioning-started' },
      { version: 3, type: 'deployment.succeeded' },
    ]);
    expect(items[0]!.data).toEqual({ name: 'web', model: 'llama', replicas: 1, ownerEmail: owner.email });
    // The delay is measured from the provisioning-started event.
    expect(Date.parse(items[2]!.time) - Date.parse(items[1]!.time)).toBeGreaterThanOrEqual(50);

    const stored = (events: Emitted[]) => events.filter((event) => event.subject !== 'deployment.progress');
    const events = await waitFor(() => stored(emittedFor(emitted, deployment.id)).length === 3 && emittedFor(emitted, deployment.id), {
      message: 'deployment.created, provisioning-started and succeeded',
    });
    expect(stored(events).map((event) => [event.subject, event.version])).toEqual([
      ['deployment.created', '1'],
      ['deployment.provisioning-started', '2'],
      ['deployment.succeeded', '3'],
    ]);

    const carried = { deploymentId: deployment.id, ownerId: owner.id, ownerEmail: owner.email, name: 'web', model: 'llama' };
    // Both are published later by the relay, the rollout's after its own step: each still carries the request's context.
    const context = { correlationId: 'create-1', idempotencyKey: 'create-key', causationId: requestId, traceparent };
    expect(events.find((event) => event.subject === 'deployment.created')).toEqual({
      subject: 'deployment.created',
      payload: { ...carried, replicas: 1, createdAt: deployment.createdAt },
      ...context,
      version: '1',
    });
    expect(events.find((event) => event.subject === 'deployment.provisioning-started')).toEqual({
      subject: 'deployment.provisioning-started',
      payload: { ...carried, startedAt: items[1]!.time },
      ...context,
      version: '2',
    });
    expect(events.find((event) => event.subject === 'deployment.succeeded')).toEqual({
      subject: 'deployment.succeeded',
      payload: { ...carried, succeededAt: items[2]!.time },
      ...context,
      version: '3',
    });
  });

  it('fails the model named "fail", with a reason, and emits deployment.failed', async () => {
    const owner = newOwner();
    const deployment = await client.request(CreateDeployment, { owner, name: 'doomed', model: 'fail', replicas: 3 });

    const failed = await waitFor(
      async () => {
        const current = await client.request(GetDeployment, { ownerId: owner.id, id: deployment.id });
        return current.status === 'failed' && current;
      },
      { message: 'the deployment to fail' },
    );

    expect(failed).toMatchObject({ replicas: 3, reason: 'model "fail" cannot be provisioned' });
    const event = await waitFor(() => emittedFor(emitted, deployment.id).find((e) => e.subject === 'deployment.failed'), { message: 'deployment.failed' });
    expect(event.payload).toMatchObject({ ownerEmail: owner.email, name: 'doomed', model: 'fail', reason: 'model "fail" cannot be provisioned' });
    expect(emittedFor(emitted, deployment.id).map((e) => e.subject)).not.toContain('deployment.succeeded');
  });

  it('creates one deployment and emits one event for a repeated Idempotency-Key', async () => {
    const owner = newOwner();
    const create = () => client.request(CreateDeployment, { owner, name: 'once', model: 'llama' }, { context: { idempotencyKey: 'key-1' } });

    const first = await create();
    const again = await create();

    expect(again).toEqual(first);
    expect((await client.request(ListDeployments, { ownerId: owner.id })).items.map((d) => d.id)).toEqual([first.id]);
    // Once it runs, everything the first request caused has been emitted: still one deployment.created.
    await waitFor(() => emittedFor(emitted, first.id).some((e) => e.subject === 'deployment.succeeded'), { message: 'deployment.succeeded' });
    const created = emittedFor(emitted, first.id).filter((e) => e.subject === 'deployment.created');
    expect(created).toHaveLength(1);
    // Published later by the relay, the event still carries the key of the request that caused it.
    expect(created[0]!.idempotencyKey).toBe('key-1');
  });

  it('uses the key per owner: another owner with the same key gets a deployment of their own', async () => {
    const [ada, bob] = [newOwner(), newOwner()];
    const create = (owner: typeof ada) =>
      client.request(CreateDeployment, { owner, name: 'web', model: 'llama' }, { context: { idempotencyKey: 'shared-key' } });

    const [mine, theirs] = [await create(ada), await create(bob)];

    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.ownerId).toBe(bob.id);
  });

  it('refuses an invalid request with 400', async () => {
    const error = await failureOf(client.request(CreateDeployment, { owner: newOwner(), name: ' ', model: 'llama' }));
    expect(error.statusCode).toBe(400);
  });
});
