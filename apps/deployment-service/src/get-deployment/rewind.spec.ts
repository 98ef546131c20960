import type { StoredEvent } from '../deployment/deployment-event';
import { fold } from '../deployment/fold';
import { rewind } from './rewind';

const DEPLOYMENT = '6f1c1a8e-0d8e-4a49-9a53-0f6f2f0c1a01';
const T0 = Date.parse('2030-01-01T10:00:00.000Z');

/** created, provisioning-started, succeeded, deleted: one a second from T0. */
const history = (
  [
    { type: 'deployment.created', data: { name: 'web', model: 'llama', replicas: 1, ownerEmail: 'ada@example.com' } },
    { type: 'deployment.provisioning-started', data: {} },
    { type: 'deployment.succeeded', data: {} },
    { type: 'deployment.deleted', data: {} },
  ] as const
).map(
  (event, i) =>
    ({
      ...event,
      deploymentId: DEPLOYMENT,
      version: i + 1,
      ownerId: '0a3c5a5e-6a0d-4d8e-8c9b-1d2e3f4a5b6c',
      occurredAt: new Date(T0 + i * 1000),
      context: {},
    }) as StoredEvent,
);
const at = (ms: number) => new Date(T0 + ms);

describe('rewind', () => {
  it('folds up to each version: the state right after that event, with that version', () => {
    const states = [1, 2, 3, 4].map((version) => fold(rewind(history, { version })));
    expect(states.map((state) => [state.version, state.status])).toEqual([
      [1, 'pending'],
      [2, 'provisioning'],
      [3, 'running'],
      [4, 'deleted'],
    ]);
    expect(states.map((state) => state.updatedAt)).toEqual(history.map((event) => event.occurredAt.toISOString()));
  });

  it('folds up to a time: an event counts from the instant it happened, until the next one', () => {
    expect(fold(rewind(history, { at: at(0) })).status).toBe('pending');
    expect(fold(rewind(history, { at: at(999) })).status).toBe('pending');
    expect(fold(rewind(history, { at: at(1000) })).status).toBe('provisioning');
    expect(fold(rewind(history, { at: at(2500) }))).toMatchObject({ status: 'running', version: 3 });
    expect(fold(rewind(history, { at: at(3_600_000) }))).toMatchObject({ status: 'deleted', version: 4 });
  });

  it('is the whole history without a version or time', () => {
    expect(rewind(history, {})).toEqual(history);
  });

  it('finds nothing at a version never reached, or before the deployment existed', () => {
    expect(() => rewind(history, { version: 5 })).toThrow(`deployment ${DEPLOYMENT} has no event 5`);
    expect(() => rewind(history, { at: at(-1) })).toThrow('did not exist yet at 2030-01-01T09:59:59.999Z');
  });
});
