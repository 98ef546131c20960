import {
  DEPLOYMENT_VERSION_HEADER,
  DeleteDeployment,
  DeploymentDeleted,
  DeploymentFailed,
  DeploymentProvisioningStarted,
  DeploymentSucceeded,
  GetDeployment,
} from '@mediamagic/contracts';
import type { Message, PubSub } from '@mediamagic/pubsub';
import { NotFoundError } from '@mediamagic/errors';
import { waitFor } from '@mediamagic/testing';
import { aDeployment, startTestGateway, type TestGateway } from '../testing/test-gateway';
import { DeploymentViews, VIEW_TTL_MS, VIEWS_CAPACITY } from './deployment-views';

const OWNER = '0b9c6f7e-3f7a-4d8e-9a51-2c1d0e6f7a8b';
const T0 = '2026-01-01T10:00:00.000Z';
const T1 = '2026-01-01T10:00:01.000Z';
const T2 = '2026-01-01T10:00:02.000Z';

function eventOf(deploymentId: string) {
  return { deploymentId, ownerId: OWNER, ownerEmail: 'ada@example.com', name: 'summarizer', model: 'llama-3-8b' };
}
/** How deployment-service publishes event `version` of a deployment. */
const asVersion = (version: number) => ({ headers: { [DEPLOYMENT_VERSION_HEADER]: String(version) } });
/** What a handler of the views receives with event `version`. */
const messageOf = (version: number) => asVersion(version) as unknown as Message;

describe('GET /deployments/:id from the gateway’s deployment views', () => {
  let gateway: TestGateway;
  let bearer: Record<string, string>;
  let asked: number;
  let answer: ReturnType<typeof aDeployment>;
  /** While set, deployment-service answers only once it resolves. */
  let gate: Promise<void> | undefined;
  const get = async (id = answer.id) => gateway.inject({ method: 'GET', url: `/deployments/${id}`, headers: bearer });

  beforeEach(async () => {
    gateway = await startTestGateway();
    bearer = { authorization: `Bearer ${await gateway.tokenFor(OWNER)}` };
    asked = 0;
    gate = undefined;
    answer = aDeployment({ ownerId: OWNER, status: 'provisioning', version: 2, createdAt: T0, updatedAt: T0 });
    await gateway.services.reply(GetDeployment, async ({ id, ownerId }) => {
      asked++;
      await gate;
      if (id !== answer.id || ownerId !== answer.ownerId) throw new NotFoundError(`no deployment ${id}`);
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
    await gateway.services.emit(DeploymentSucceeded, { ...eventOf(answer.id), succeededAt: T1 }, asVersion(3));

    await waitFor(async () => (await get()).json().status === 'running', { timeoutMs: 5_000, message: 'the view to show running' });
    expect((await get()).json()).toEqual({ ...answer, status: 'running', version: 3, updatedAt: T1 });
    expect(asked).toBe(1);
  });

  it('keeps the reason of a failure, and a deletion after it', async () => {
    await get();
    await gateway.services.emit(DeploymentFailed, { ...eventOf(answer.id), reason: 'no GPU left', failedAt: T1 }, asVersion(3));
    await gateway.services.emit(DeploymentDeleted, { ...eventOf(answer.id), deletedAt: T2 }, asVersion(4));

    await waitFor(async () => (await get()).json().status === 'deleted', { timeoutMs: 5_000, message: 'the view to show deleted' });
    expect((await get()).json()).toEqual({ ...answer, status: 'deleted', reason: 'no GPU left', version: 4, updatedAt: T2 });
    expect(asked).toBe(1);
  });

  it('holds a pending deployment too, and follows it into provisioning: every change is an event now', async () => {
    answer = { ...answer, status: 'pending' as const, version: 1 };
    await get();
    await gateway.services.emit(DeploymentProvisioningStarted, { ...eventOf(answer.id), startedAt: T1 }, asVersion(2));

    await waitFor(async () => (await get()).json().status === 'provisioning', { timeoutMs: 5_000, message: 'the view to show provisioning' });
    expect((await get()).json()).toEqual({ ...answer, status: 'provisioning', version: 2, updatedAt: T1 });
    expect(asked).toBe(1);
  });

  it('asks again after a missed event: a version further ahead than the next one drops the view', async () => {
    await get();
    const heard = vi.spyOn(gateway.app.get(DeploymentViews), 'deleted');
    await gateway.services.emit(DeploymentDeleted, { ...eventOf(answer.id), deletedAt: T2 }, asVersion(4));
    await waitFor(() => heard.mock.calls.length === 1, { timeoutMs: 5_000, message: 'the event to be heard' });
    answer = { ...answer, status: 'deleted' as const, version: 4, updatedAt: T2 };

    expect((await get()).json()).toEqual(answer);
    expect(asked).toBe(2);
  });

  it('does not hold an answer when an event was heard while it was being asked for: the answer may predate it', async () => {
    let answered!: () => void;
    gate = new Promise<void>((resolve) => (answered = resolve));
    const heard = vi.spyOn(gateway.app.get(DeploymentViews), 'succeeded');
    const first = get();
    await waitFor(() => asked === 1, { timeoutMs: 5_000, message: 'the first GET to reach deployment-service' });
    await gateway.services.emit(DeploymentSucceeded, { ...eventOf(answer.id), succeededAt: T1 }, asVersion(3));
    await waitFor(() => heard.mock.calls.length === 1, { timeoutMs: 5_000, message: 'the event to be heard' });
    answered();

    expect((await first).json().status).toBe('provisioning');
    answer = { ...answer, status: 'running' as const, version: 3, updatedAt: T1 };
    expect((await get()).json().status).toBe('running');
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
    await gateway.services.reply(DeleteDeployment, () => ({ ...answer, status: 'deleted' as const, version: 3, updatedAt: T2 }));

    expect((await gateway.inject({ method: 'DELETE', url: `/deployments/${answer.id}`, headers: bearer })).statusCode).toBe(202);

    expect((await get()).json()).toMatchObject({ status: 'deleted', updatedAt: T2 });
    expect(asked).toBe(1);
  });
});

describe('DeploymentViews', () => {
  let interrupt: () => void;
  let views: DeploymentViews;
  let asked: number;
  const view = aDeployment({ ownerId: OWNER, status: 'provisioning', version: 2, createdAt: T0, updatedAt: T0 });
  const ask = (answer: typeof view) => async () => {
    asked++;
    return answer;
  };

  beforeEach(() => {
    asked = 0;
    views = new DeploymentViews({ onInterrupted: (listener: () => void) => (interrupt = listener) } as unknown as PubSub);
  });

  it('forgets everything when the broker connection was interrupted: events may have been missed', async () => {
    await views.get(OWNER, view.id, ask(view));
    interrupt();
    await views.get(OWNER, view.id, ask(view));

    expect(asked).toBe(2);
  });

  it('ignores an event it already folded in, or an older one', async () => {
    await views.get(OWNER, view.id, ask({ ...view, status: 'running', version: 3, updatedAt: T2 }));
    views.failed({ ...eventOf(view.id), reason: 'late', failedAt: T1 }, messageOf(3));
    views.provisioningStarted({ ...eventOf(view.id), startedAt: T0 }, messageOf(2));

    expect(await views.get(OWNER, view.id, ask(view))).toMatchObject({ status: 'running', version: 3, updatedAt: T2 });
    expect(asked).toBe(1);
  });

  it('cannot place an event without its version: drops the view rather than guess', async () => {
    await views.get(OWNER, view.id, ask(view));
    views.succeeded({ ...eventOf(view.id), succeededAt: T1 }, { headers: {} } as unknown as Message);
    await views.get(OWNER, view.id, ask(view));

    expect(asked).toBe(2);
  });

  it('lets a view expire, and holds a fresh answer again after that', async () => {
    vi.useFakeTimers({ now: Date.parse(T0) });
    try {
      await views.get(OWNER, view.id, ask(view));
      vi.advanceTimersByTime(VIEW_TTL_MS + 1);
      await views.get(OWNER, view.id, ask(view));
      await views.get(OWNER, view.id, ask(view));

      expect(asked).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds at most VIEWS_CAPACITY deployments, dropping the one held longest', async () => {
    const first = aDeployment({ ownerId: OWNER, status: 'running', version: 3, updatedAt: T1 });
    await views.get(OWNER, first.id, ask(first));
    for (let i = 0; i < VIEWS_CAPACITY; i++) views.remember(aDeployment({ ownerId: OWNER, status: 'running', version: 3, updatedAt: T1 }));
    await views.get(OWNER, first.id, ask(first));

    expect(asked).toBe(2);
  });
});
