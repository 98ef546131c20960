import { randomUUID } from 'node:crypto';
import { Database, openDatabase } from '@mediamagic/database';
import { CE, PubSub } from '@mediamagic/pubsub';
import { MemoryTransport } from '@mediamagic/pubsub/testing';
import { DEPLOYMENT_VERSION_HEADER } from '@mediamagic/contracts';
import { MIGRATIONS } from '../migrations';
import { DeploymentEventOutbox } from './deployment-event-outbox';
import { DeploymentEventStore } from './deployment-event-store';
import { DeploymentEventsTable } from './deployment-events.table';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('the event store as its own outbox', () => {
  let db: Database;
  let store: DeploymentEventStore;
  let outbox: DeploymentEventOutbox;
  let pubsub: PubSub;
  beforeAll(async () => {
    db = await openDatabase({ directory: 'memory://', migrations: MIGRATIONS, logger: quiet });
    const table = new DeploymentEventsTable(db);
    store = new DeploymentEventStore(table);
    pubsub = new PubSub({ service: 'deployment-service', transport: new MemoryTransport(), logger: quiet });
    outbox = new DeploymentEventOutbox(table, pubsub);
  });
  afterAll(async () => {
    await pubsub.close();
    await db.close();
  });

  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const creation = { correlationId: 'create-1', idempotencyKey: 'key-1', causationId: 'request-1', traceparent };

  async function deploymentWithHistory(): Promise<string> {
    const deploymentId = randomUUID();
    await store.create(db, { deploymentId, ownerId: randomUUID(), ownerEmail: 'ada@example.com', name: 'web', model: 'llama', replicas: 1 }, creation);
    await store.append(deploymentId, creation, () => ({ type: 'deployment.provisioning-started', data: {} }));
    await store.append(deploymentId, { correlationId: 'rollout-1' }, () => ({ type: 'deployment.succeeded', data: {} }));
    return deploymentId;
  }

  it('gives out a version only after every earlier one of its deployment was published, each with its version in a header', async () => {
    const deploymentId = await deploymentWithHistory();

    // Another instance holds version 1: versions 2 and 3 must wait, or "running" could go out before "created".
    const [held] = await outbox.claim(10, 60);
    expect(held?.key).toBe(`${deploymentId}:1`);
    expect(held?.envelope.headers['ce-id']).toBe(`${deploymentId}:1`);
    expect(held?.envelope.headers[DEPLOYMENT_VERSION_HEADER]).toBe('1');
    expect(await outbox.claim(10, 60)).toEqual([]);

    await outbox.published([held!.key]);
    const next = await outbox.claim(10, 60);
    expect(next.map((entry) => entry.key)).toEqual([`${deploymentId}:2`]);
    expect(next[0]!.envelope.subject).toBe('deployment.provisioning-started');
    expect(JSON.parse(new TextDecoder().decode(next[0]!.envelope.data))).toMatchObject({ deploymentId, name: 'web', model: 'llama' });
    expect(next[0]!.envelope.headers[DEPLOYMENT_VERSION_HEADER]).toBe('2');

    await outbox.published([next[0]!.key]);
    const last = await outbox.claim(10, 60);
    expect(last.map((entry) => [entry.envelope.subject, entry.envelope.headers[DEPLOYMENT_VERSION_HEADER]])).toEqual([['deployment.succeeded', '3']]);
  });

  it('publishes each event with the context stored with it, whatever context the relay runs in', async () => {
    await db.query('update deployment_events set published_at = now() where published_at is null');
    await deploymentWithHistory();

    const [created] = await outbox.claim(10, 60);
    await outbox.published([created!.key]);
    const [started] = await outbox.claim(10, 60);
    await outbox.published([started!.key]);
    const [succeeded] = await outbox.claim(10, 60);

    expect(created!.envelope.headers).toMatchObject({
      [CE.correlationId]: 'create-1',
      [CE.idempotencyKey]: 'key-1',
      [CE.causationId]: 'request-1',
      traceparent,
    });
    expect(succeeded!.envelope.headers).toMatchObject({ [CE.correlationId]: 'rollout-1' });
    expect(succeeded!.envelope.headers).not.toHaveProperty(CE.causationId);
    expect(succeeded!.envelope.headers).not.toHaveProperty(CE.idempotencyKey);
  });

  it('skips an event that no longer fits its contract, without holding up the others', async () => {
    await db.query('update deployment_events set published_at = now() where published_at is null');
    const broken = await deploymentWithHistory();
    // As if a contract had tightened after the event was stored.
    await db.query(
      `update deployment_events set data = '{"name": "", "model": "", "replicas": 0, "ownerEmail": "not an email"}'::jsonb where deployment_id = $1 and version = 1`,
      [broken],
    );
    const healthy = await deploymentWithHistory();

    const claimed = await outbox.claim(10, 60);
    expect(claimed.map((entry) => entry.key)).toEqual([`${healthy}:1`]);
  });
});
