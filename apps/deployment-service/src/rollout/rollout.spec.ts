import type { DeploymentEvent, StoredEvent } from '../deployment/deployment-event';
import { nextRolloutEvent, provisioningDueAt, provisioningProgress } from './rollout';

const T0 = Date.parse('2030-01-01T10:00:00.000Z');
const DELAY = 5_000;

function historyOf(model: string, ...events: DeploymentEvent[]): StoredEvent[] {
  const created: DeploymentEvent = { type: 'deployment.created', data: { name: 'web', model, replicas: 1, ownerEmail: 'ada@example.com' } };
  return [created, ...events].map(
    (event, i) => ({ ...event, deploymentId: 'd', version: i + 1, ownerId: 'o', occurredAt: new Date(T0 + i * 1000), context: {} }) as StoredEvent,
  );
}
const started = { type: 'deployment.provisioning-started', data: {} } as const;
const at = (ms: number) => new Date(T0 + ms);

describe('the rollout', () => {
  it('starts provisioning a pending deployment at once', () => {
    expect(nextRolloutEvent(historyOf('llama'), at(0), DELAY)).toEqual(started);
  });

  it('ends provisioning once the delay has passed since it started, not before', () => {
    const provisioning = historyOf('llama', started); // started at T0 + 1 s
    expect(provisioningDueAt(provisioning, DELAY)).toEqual(at(6_000));
    expect(nextRolloutEvent(provisioning, at(5_999), DELAY)).toBeNull();
    expect(nextRolloutEvent(provisioning, at(6_000), DELAY)).toEqual({ type: 'deployment.succeeded', data: {} });
  });

  it('fails the model named "fail", with a reason', () => {
    expect(nextRolloutEvent(historyOf('fail', started), at(6_000), DELAY)).toEqual({
      type: 'deployment.failed',
      data: { reason: 'model "fail" cannot be provisioned' },
    });
  });

  it('does nothing more for a deployment deleted, running or failed', () => {
    const deleted = { type: 'deployment.deleted', data: {} } as const;
    expect(nextRolloutEvent(historyOf('llama', deleted), at(60_000), DELAY)).toBeNull();
    expect(nextRolloutEvent(historyOf('llama', started, deleted), at(60_000), DELAY)).toBeNull();
    expect(nextRolloutEvent(historyOf('llama', started, { type: 'deployment.succeeded', data: {} }), at(60_000), DELAY)).toBeNull();
    expect(provisioningDueAt(historyOf('llama', started, deleted), DELAY)).toBeNull();
  });

  it('reports progress at each quarter of the provisioning, and looks again at the next one', () => {
    const provisioning = historyOf('llama', started);
    const startedAt = 1000;
    const look = (ms: number) => {
      const progress = provisioningProgress(provisioning, at(startedAt + ms), DELAY);
      return progress && [progress.progress, progress.nextAt.getTime() - T0 - startedAt];
    };
    expect(look(0)).toEqual([null, 1250]);
    expect(look(1250)).toEqual([0.25, 2500]);
    expect(look(3000)).toEqual([0.5, 3750]);
    expect(look(4999)).toEqual([0.75, 5000]);
    expect(look(5000)).toEqual([null, 5000]);
    expect(provisioningProgress(historyOf('llama'), at(0), DELAY)).toBeNull();
    expect(provisioningProgress(historyOf('llama', started, { type: 'deployment.succeeded', data: {} }), at(9000), DELAY)).toBeNull();
  });
});
