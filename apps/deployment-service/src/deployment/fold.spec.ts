import type { DeploymentEvent, StoredEvent } from './deployment-event';
import { fold } from './fold';

const DEPLOYMENT = '6f1c1a8e-0d8e-4a49-9a53-0f6f2f0c1a01';
const OWNER = '0a3c5a5e-6a0d-4d8e-8c9b-1d2e3f4a5b6c';
const T0 = Date.parse('2030-01-01T10:00:00.000Z');

/** A history with one event a second, starting with the creation. */
function historyOf(...events: DeploymentEvent[]): StoredEvent[] {
  const created: DeploymentEvent = { type: 'deployment.created', data: { name: 'web', model: 'llama', replicas: 2, ownerEmail: 'ada@example.com' } };
  return [created, ...events].map(
    (event, i) =>
      ({
        ...event,
        deploymentId: DEPLOYMENT,
        version: i + 1,
        ownerId: OWNER,
        occurredAt: new Date(T0 + i * 1000),
        context: { correlationId: 'c1' },
      }) as StoredEvent,
  );
}

describe('fold', () => {
  it('makes a created deployment pending, with what was asked for', () => {
    expect(fold(historyOf())).toEqual({
      id: DEPLOYMENT,
      name: 'web',
      model: 'llama',
      replicas: 2,
      status: 'pending',
      ownerId: OWNER,
      version: 1,
      createdAt: '2030-01-01T10:00:00.000Z',
      updatedAt: '2030-01-01T10:00:00.000Z',
    });
  });

  it('follows the rollout: provisioning, then running', () => {
    const started = { type: 'deployment.provisioning-started', data: {} } as const;
    expect(fold(historyOf(started)).status).toBe('provisioning');
    const running = fold(historyOf(started, { type: 'deployment.succeeded', data: {} }));
    expect(running).toMatchObject({ status: 'running', version: 3, createdAt: '2030-01-01T10:00:00.000Z', updatedAt: '2030-01-01T10:00:02.000Z' });
    expect(running.reason).toBeUndefined();
  });

  it('keeps the reason of a failure', () => {
    const failed = fold(historyOf({ type: 'deployment.provisioning-started', data: {} }, { type: 'deployment.failed', data: { reason: 'no GPU' } }));
    expect(failed).toMatchObject({ status: 'failed', reason: 'no GPU' });
  });

  it('makes a deployment deleted at any stage', () => {
    expect(fold(historyOf({ type: 'deployment.deleted', data: {} })).status).toBe('deleted');
    expect(fold(historyOf({ type: 'deployment.provisioning-started', data: {} }, { type: 'deployment.deleted', data: {} })).status).toBe('deleted');
  });

  it('refuses a history with a gap or a second creation', () => {
    const [created, started, succeeded] = historyOf({ type: 'deployment.provisioning-started', data: {} }, { type: 'deployment.succeeded', data: {} });
    expect(() => fold([created!, succeeded!])).toThrow('version 3 cannot follow 1');
    expect(() => fold([created!, started!, { ...created!, version: 3 }])).toThrow('created twice');
  });

  it('refuses a history that does not start with the creation', () => {
    expect(() => fold([])).toThrow('must start with deployment.created');
    expect(() => fold(historyOf({ type: 'deployment.succeeded', data: {} }).slice(1))).toThrow('must start with deployment.created');
  });
});
