import { randomUUID } from 'node:crypto';
import { cursorOf, liveEventOf, type LiveEvent, type RawEvent } from './live-event';

const [deploymentId, ownerId] = [randomUUID(), randomUUID()];
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const withVersion = (version: string) => ({ get: (name: string) => (name === 'deployment-version' ? version : '') });
const payload = { deploymentId, ownerId, ownerEmail: 'ada@example.com', name: 'chat', model: 'llama-3' };
const frameLines = (event: LiveEvent | Error) => (event instanceof Error ? [event.message] : event.frame.split('\n'));

describe('liveEventOf: a message from NATS as the live stream sends it', () => {
  it('makes a stored event a frame with its cursor, subject, version, status, time and the fields a client shows', () => {
    const message: RawEvent = {
      subject: 'deployment.failed',
      data: bytes({ ...payload, reason: 'no GPU left', failedAt: '2026-01-01T00:00:00.000Z' }),
      headers: withVersion('4'),
      seq: 17,
    };
    const event = liveEventOf(message) as LiveEvent;
    expect(event).toMatchObject({ ownerId, seq: 17 });
    expect(frameLines(event)).toEqual([
      `id: ${cursorOf(17)}`,
      'event: deployment.failed',
      `data: ${JSON.stringify({ deploymentId, type: 'deployment.failed', version: 4, status: 'failed', time: '2026-01-01T00:00:00.000Z', name: 'chat', model: 'llama-3', reason: 'no GPU left' })}`,
      '',
      '',
    ]);
  });

  it('leaves the version out rather than wrong when the header is missing or not a number', () => {
    for (const headers of [undefined, withVersion(''), withVersion('2x')]) {
      const event = liveEventOf({ subject: 'deployment.succeeded', data: bytes({ ...payload, succeededAt: '2026-01-01T00:00:00.000Z' }), headers, seq: 3 });
      expect(frameLines(event)[2]).not.toContain('version');
    }
  });

  it('makes a progress report a frame without id, with the deployment and how far it is only', () => {
    const event = liveEventOf({ subject: 'deployment.progress', data: bytes({ deploymentId, ownerId, progress: 0.5, at: '2026-01-01T00:00:00.000Z' }) });
    expect(event).toMatchObject({ ownerId });
    expect((event as LiveEvent).seq).toBeUndefined();
    expect(frameLines(event)).toEqual(['event: deployment.progress', `data: ${JSON.stringify({ deploymentId, progress: 0.5 })}`, '', '']);
  });

  it.each([
    ['a payload that breaks its contract', { subject: 'deployment.created', data: bytes({ deploymentId }), seq: 1 }, /breaks its contract/],
    ['a body that is not JSON', { subject: 'deployment.created', data: new TextEncoder().encode('{'), seq: 1 }, /not readable/],
    ['a subject the stream does not carry', { subject: 'user.registered', data: bytes({}), seq: 1 }, /not a deployment event/],
    ['a stored event without its sequence', { subject: 'deployment.deleted', data: bytes({ ...payload, deletedAt: '2026-01-01T00:00:00.000Z' }) }, /sequence/],
  ])('refuses %s', (_case, message: RawEvent, error) => {
    const event = liveEventOf(message);
    expect(event).toBeInstanceOf(Error);
    expect((event as Error).message).toMatch(error);
  });
});
