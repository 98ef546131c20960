import { DeleteDeployment, DeploymentDeleted, DeploymentFailed, DeploymentSucceeded, GetDeployment } from '@mediamagic/contracts';
import type { PubSub } from '@mediamagic/pubsub';
import { NotFoundException } from '@nestjs/common';
import { waitFor } from '@mediamagic/testing';
import { aDeployment, startTestGateway, type TestGateway } from '../testing/test-gateway';
import { DeploymentViews, VIEWS_CAPACITY } from './deployment-views';

const OWNER = '0b9c6f7e-3f7a-4d8e-9a51-2c1d0e6f7a8b';
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-01T10:00:01.000Z';
const T2 = '2026-01-01T10:00:02.000Z';

function eventOf(deploymentId: string) {
  return { deploymentId, ownerId: OWNER, ownerEmail: 'ada@example.com', name: 'summarizer', model: 'llama-3-8b' };
}

describe('GET /deployments/:id from the gateway’s deployment views', () => {
  let gateway: TestGateway;
  let bearer: Record<string, string>;
  let asked: number;
  let answer: ReturnType<typeof aDeployment>;
  const get = async (id = answer.id) => gateway.inject({ method: 'GET', url: `/deployments/${id}`, headers: bearer });

  beforeEach(async () => {
    gateway = await startTestGateway();
    bearer = { authorization: `Bearer ${await gateway.tokenFor(OWNER)}` };
    asked = 0;
    answer = aDeployment({ ownerId: OWNER, status: 'provisioning', createdAt: T0, updatedAt: T0 });
    await gateway.services.answer(GetDeployment, ({ id, ownerId }) => {
      asked++;
      if (id !== answer.id || ownerId !== answer.ownerId) throw new NotFoundException(`no deployment ${id}`);
      return answer;
    });
  });
  afterEach(() => gateway.close());

  it('asks deployment-service once, then answers from the view', async () => {
    const first = await get();
    const second = await get();

    expect(first.json()).toEqual(answer);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(answer);
    expect(asked).toBe(1);
  });

  it('follows the events: running once deployment.succeeded is heard, without asking again', async () => {
    await get();
    await gateway.services.emit(DeploymentSucceeded, { ...eventOf(answer.id), succeededAt: T1 });

    await waitFor(async () => (await get()).json().status === 'running', { timeoutMs: 5_000, message: 'the view to show running' });
    expect((await get()).json()).toEqual({ ...answer, status: 'running', updatedAt: T1 });
    expect(asked).toBe(1);
  });

  it('keeps the reason of a failure, and a deletion after it', async () => {
    await get();
    await gateway.services.emit(DeploymentFailed, { ...eventOf(answer.id), reason: 'no GPU left', failedAt: T1 });
    await gateway.services.emit(DeploymentDeleted, { ...eventOf(answer.id), deletedAt: T2 });

    await waitFor(async () => (await get()).json().status === 'deleted', { timeoutMs: 5_000, message: 'the view to show deleted' });
    expect((await get()).json()).toEqual({ ...answer, status: 'deleted', reason: 'no GPU left', updatedAt: T2 });
    expect(asked).toBe(1);
  });

  it('never holds a pending deployment: deployment-service moves it on without an event', async () => {
    answer = { ...answer, status: 'pending' as const };
    await get();
    await get();
    expect(asked).toBe(2);
  });

  it('does not hold an answer older than an event it heard (the answer left before the event arrived)', async () => {
    await gateway.services.emit(DeploymentSucceeded, { ...eventOf(answer.id), succeededAt: T1 });
    const views = gateway.app.get(DeploymentViews);
    await waitFor(() => (views as unknown as { entries: Map<string, unknown> }).entries.has(answer.id), { timeoutMs: 5_000, message: 'the event to be heard' });

    expect((await get()).json().status).toBe('provisioning');
    answer = { ...answer, status: 'running', updatedAt: T1 };
    // Still asked: the provisioning answer (T0) was older than the event (T1), so it was not kept.
    expect((await get()).json().status).toBe('running');
    expect(asked).toBe(2);
  });

  it("leaves another owner's deployment to deployment-service, which answers 404", async () => {
    await get();
    const stranger = { authorization: `Bearer ${await gateway.tokenFor('5f0e2a7c-8d41-4b3e-a1c9-7e6d5b4a3f21')}` };

    const response = await gateway.inject({ method: 'GET', url: `/deployments/${answer.id}`, headers: stranger });

    expect(response.statusCode).toBe(404);
    expect(asked).toBe(2);
  });

  it('keeps the answer of DELETE, so the next GET says deleted at once', async () => {
    await get();
    await gateway.services.answer(DeleteDeployment, () => ({ ...answer, status: 'deleted' as const, updatedAt: T2 }));

    expect((await gateway.inject({ method: 'DELETE', url: `/deployments/${answer.id}`, headers: bearer })).statusCode).toBe(202);

    expect((await get()).json()).toMatchObject({ status: 'deleted', updatedAt: T2 });
    expect(asked).toBe(1);
  });
});

describe('DeploymentViews', () => {
  let interrupt: () => void;
  let views: DeploymentViews;
  const view = aDeployment({ ownerId: OWNER, status: 'provisioning', createdAt: T0, updatedAt: T0 });

  beforeEach(() => {
    views = new DeploymentViews({ onInterrupted: (listener: () => void) => (interrupt = listener) } as unknown as PubSub);
  });

  it('forgets everything when the broker connection was interrupted: events may have been missed', () => {
    views.remember(view);
    expect(views.get(OWNER, view.id)).toEqual(view);

    interrupt();

    expect(views.get(OWNER, view.id)).toBeUndefined();
  });

  it('ignores an event older than the view it holds, and a created event changes no view', () => {
    views.remember({ ...view, status: 'running', updatedAt: T2 });
    views.failed({ ...eventOf(view.id), reason: 'late', failedAt: T1 });
    views.created({ ...eventOf(view.id), replicas: 1, createdAt: T0 });

    expect(views.get(OWNER, view.id)).toMatchObject({ status: 'running', updatedAt: T2 });
  });

  it('lets a view expire, and holds a fresh answer again after that', () => {
    vi.useFakeTimers({ now: Date.parse(T0) });
    try {
      views.remember(view);
      vi.advanceTimersByTime(60_001);
      expect(views.get(OWNER, view.id)).toBeUndefined();

      views.remember(view);
      expect(views.get(OWNER, view.id)).toEqual(view);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds at most VIEWS_CAPACITY deployments, dropping the one changed longest ago', () => {
    const first = aDeployment({ ownerId: OWNER, status: 'running', updatedAt: T1 });
    views.remember(first);
    for (let i = 0; i < VIEWS_CAPACITY; i++) views.remember(aDeployment({ ownerId: OWNER, status: 'running', updatedAt: T1 }));

    expect(views.get(OWNER, first.id)).toBeUndefined();
  });
});
