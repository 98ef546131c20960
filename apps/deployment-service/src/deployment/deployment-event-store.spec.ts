import { randomUUID } from 'node:crypto';
import { Database, isUniqueViolation, openDatabase } from '@mediamagic/database';
import { ConflictError } from '@mediamagic/errors';
import { MIGRATIONS } from '../migrations';
import { DeploymentEventStore } from './deployment-event-store';
import { DeploymentEventsTable } from './deployment-events.table';
import { fold } from './fold';

// What a request would pass: the context its events are published with.
const request = { correlationId: 'request-1', idempotencyKey: 'key-1', causationId: 'message-1' };

describe('DeploymentEventStore', () => {
  let db: Database;
  let store: DeploymentEventStore;
  beforeAll(async () => {
    db = await openDatabase({ directory: 'memory://', migrations: MIGRATIONS, logger: { log: () => undefined, error: () => undefined } });
    store = new DeploymentEventStore(new DeploymentEventsTable(db));
  });
  afterAll(() => db.close());

  async function newDeployment(): Promise<string> {
    const deploymentId = randomUUID();
    await store.create(db, { deploymentId, ownerId: randomUUID(), ownerEmail: 'ada@example.com', name: 'web', model: 'llama', replicas: 1 }, request);
    return deploymentId;
  }
  const versionsOf = async (deploymentId: string) => (await store.history(deploymentId)).map((event) => `${event.version} ${event.type}`);

  it('lets exactly one of two writers append the same version', async () => {
    const deploymentId = await newDeployment();
    const insert = (type: string) =>
      db.query(
        `insert into deployment_events (deployment_id, version, type, data, owner_id, occurred_at)
         select deployment_id, 2, $2, '{}'::jsonb, owner_id, now() from deployment_events where deployment_id = $1 and version = 1`,
        [deploymentId, type],
      );

    const outcomes = await Promise.allSettled([insert('deployment.provisioning-started'), insert('deployment.deleted')]);

    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const [lost] = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(isUniqueViolation(lost!.reason, 'deployment_events_pkey')).toBe(true);
    expect(await versionsOf(deploymentId)).toHaveLength(2);
  });

  it('makes the loser of a race decide again on the newer history', async () => {
    const deploymentId = await newDeployment();
    const decisions: string[] = [];
    const deleteUnlessDeleted = (who: string) =>
      store.append(deploymentId, request, (history) => {
        decisions.push(`${who} saw version ${history.length}`);
        return fold(history).status === 'deleted' ? null : { type: 'deployment.deleted', data: {} };
      });

    // Both read version 1 before either writes: both try to append version 2.
    const [a, b] = await Promise.all([deleteUnlessDeleted('a'), deleteUnlessDeleted('b')]);

    expect([a.appended, b.appended].filter(Boolean)).toHaveLength(1);
    // Each read version 1; the loser read again, saw the deletion and decided to do nothing.
    expect(decisions.map((decision) => decision.slice(2)).sort()).toEqual(['saw version 1', 'saw version 1', 'saw version 2']);
    expect(fold(a.history).status).toBe('deleted');
    expect(fold(b.history).status).toBe('deleted');
    expect(await versionsOf(deploymentId)).toEqual(['1 deployment.created', '2 deployment.deleted']);
  });

  it('keeps with each event the context it was appended in', async () => {
    const deploymentId = await newDeployment();
    const rollout = { correlationId: 'request-1', causationId: 'another-message' };
    await store.append(deploymentId, rollout, () => ({ type: 'deployment.provisioning-started', data: {} }));

    expect((await store.history(deploymentId)).map((event) => event.context)).toEqual([request, rollout]);
  });

  it('gives up with a conflict after losing three races in a row', async () => {
    const deploymentId = await newDeployment();
    let attempts = 0;
    // A rival that always gets in first: its insert of the same version is queued before ours.
    const appending = store.append(deploymentId, request, (history) => {
      attempts++;
      void db.query(
        `insert into deployment_events (deployment_id, version, type, data, owner_id, occurred_at)
         select deployment_id, $2, 'deployment.provisioning-started', '{}'::jsonb, owner_id, now() from deployment_events where deployment_id = $1 and version = 1`,
        [deploymentId, history.length + 1],
      );
      return { type: 'deployment.succeeded', data: {} };
    });

    const error = await appending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect(attempts).toBe(3);
    expect(await versionsOf(deploymentId)).not.toContain('4 deployment.succeeded');
  });

  it('decides on a history the caller holds, and reads again when it was stale', async () => {
    const deploymentId = randomUUID();
    const created = await store.create(
      db,
      { deploymentId, ownerId: randomUUID(), ownerEmail: 'ada@example.com', name: 'web', model: 'llama', replicas: 1 },
      request,
    );
    await store.append(deploymentId, request, () => ({ type: 'deployment.deleted', data: {} }), [created]);
    const seen: number[] = [];

    // [created] is stale now: version 2 is taken, so the store reads the history and decides again.
    const { appended, history } = await store.append(
      deploymentId,
      request,
      (events) => {
        seen.push(events.length);
        return fold(events).status === 'deleted' ? null : { type: 'deployment.provisioning-started', data: {} };
      },
      [created],
    );

    expect(seen).toEqual([1, 2]);
    expect(appended).toBeNull();
    expect(fold(history).status).toBe('deleted');
    expect(await versionsOf(deploymentId)).toEqual(['1 deployment.created', '2 deployment.deleted']);
  });
});
