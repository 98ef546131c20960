import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestingModule } from '@nestjs/testing';
import { CreateDeployment, GetDeployment, GetDeploymentEvents } from '@mediamagic/contracts';
import { type PubSub } from '@mediamagic/pubsub';
import { MemoryBroker } from '@mediamagic/pubsub/testing';
import { waitFor } from '@mediamagic/testing';
import { emittedFor, newOwner, startClient, startDeploymentService, type Emitted } from '../testing/deployment-service.testing';

describe('RolloutWorker', () => {
  const broker = new MemoryBroker();
  let directory: string;
  let client: PubSub;
  let emitted: Emitted[];
  let requestIds: readonly string[];
  let app: TestingModule | undefined;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'deployment-service-'));
    ({ client, emitted, requestIds } = await startClient(broker));
  });
  afterAll(async () => {
    await app?.close();
    await client.close();
    broker.shutdown();
    await rm(directory, { recursive: true, force: true });
  });

  // Two database opens in one test: give it room on a busy machine.
  it('resumes after a restart a deployment left provisioning, keeping the context of the request that created it', { timeout: 120_000 }, async () => {
    app = await startDeploymentService(broker, { directory, provisioningDelayMs: 600_000 });
    const owner = newOwner();
    const deployment = await client.request(
      CreateDeployment,
      { owner, name: 'web', model: 'llama' },
      { context: { correlationId: 'before-restart', idempotencyKey: 'restart-key' } },
    );
    const requestId = requestIds.at(-1);
    const status = async () => (await client.request(GetDeployment, { ownerId: owner.id, id: deployment.id })).status;
    await waitFor(async () => (await status()) === 'provisioning', { message: 'provisioning to start' });
    await app.close();

    app = await startDeploymentService(broker, { directory, provisioningDelayMs: 50 });

    await waitFor(async () => (await status()) === 'running', { message: 'the resumed rollout to finish' });
    const { items } = await client.request(GetDeploymentEvents, { ownerId: owner.id, id: deployment.id });
    expect(items.map((item) => `${item.version} ${item.type}`)).toEqual([
      '1 deployment.created',
      '2 deployment.provisioning-started',
      '3 deployment.succeeded',
    ]);
    const succeeded = await waitFor(() => emittedFor(emitted, deployment.id).find((e) => e.subject === 'deployment.succeeded'), {
      message: 'deployment.succeeded',
    });
    // The new process knows the creating request only from the store.
    expect(succeeded).toMatchObject({
      correlationId: 'before-restart',
      idempotencyKey: 'restart-key',
      causationId: requestId,
      payload: { ownerEmail: owner.email, name: 'web', model: 'llama' },
    });
  });

  it('reports progress while it provisions, at most once each quarter, in order, before the end', { timeout: 60_000 }, async () => {
    await app?.close();
    app = await startDeploymentService(broker, { directory, provisioningDelayMs: 2_000 });
    const owner = newOwner();
    const deployment = await client.request(CreateDeployment, { owner, name: 'web', model: 'llama' });

    const events = await waitFor(
      () => emittedFor(emitted, deployment.id).some((e) => e.subject === 'deployment.succeeded') && emittedFor(emitted, deployment.id),
      {
        timeoutMs: 20_000,
        message: 'deployment.succeeded',
      },
    );
    const subjects = events.map((event) => (event.subject === 'deployment.progress' ? `progress ${String(event.payload['progress'])}` : event.subject));
    // A timer late on a busy machine may skip a quarter; never twice the same one, never after the end.
    expect(subjects[0]).toBe('deployment.created');
    expect(subjects[1]).toBe('deployment.provisioning-started');
    expect(subjects.at(-1)).toBe('deployment.succeeded');
    const progress = subjects.slice(2, -1);
    expect(progress.length).toBeGreaterThan(0);
    expect(['progress 0.25', 'progress 0.5', 'progress 0.75'].filter((step) => progress.includes(step))).toEqual(progress);
    expect(events.find((event) => event.subject === 'deployment.progress')).toMatchObject({ payload: { deploymentId: deployment.id, ownerId: owner.id } });
  });
});
