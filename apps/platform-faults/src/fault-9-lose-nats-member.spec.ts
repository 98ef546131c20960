import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsCluster, NatsServer } from '@mediamagic/testing';
import { inParallel } from './support/client';
import { deploymentNames, notificationsOf, settledOutcome } from './support/deployments';
import { explain, report } from './support/effects';
import { usePlatform } from './support/scenario';

const DEPLOYMENTS = 200;
const OWNER = 'owner@example.com';

/**
 * Fault 9: the platform on a cluster of three nats-servers (every URL in NATS_ADDR, streams with 3 replicas).
 * A quarter of the way into 200 deployments the member that leads the deployments' stream is killed (kill -9:
 * a lost machine); at three quarters it is started again and rejoins. The other two keep a majority: a new
 * leader is elected, the services connected to the lost member reconnect to the others, no request fails
 * and no event is lost or doubled.
 *
 * What makes it hold (each once failed this scenario): a request in flight on the dying member gets no answer, so
 * one that may be sent twice (an Idempotency-Key, or a read its contract marks idempotent) is sent again after 2 s
 * and reaches a live member (libs/pubsub deadline.ts); a service whose start meets the election waits for JetStream
 * instead of exiting on a timed-out stream or consumer call (libs/pubsub nats/jetstream-api.ts). Runs on its own
 * too: `npx nx run platform-faults:fault-9`.
 */
describe('fault 9: a NATS cluster of three loses a member during 200 deployments', () => {
  const scenario = usePlatform('fault-9', { natsCluster: 3 });

  it('fails no request, loses no event and doubles none, and the member rejoins', async () => {
    const { platform, client } = scenario;
    const cluster = scenario.cluster!;
    const token = await client.verifiedUser(platform.smtp, OWNER);
    const lost = await leaderOf(cluster, 'deployment.created');
    const startedAt = Date.now();
    const names = deploymentNames(DEPLOYMENTS);

    const statuses: Record<number, number> = {};
    let created = 0;
    let crash: Promise<void> | undefined;
    let rejoin: Promise<number> | undefined;
    await inParallel(names, 8, async (name) => {
      const status = await client.createDeployment(token, name).then(
        (answer) => answer.status,
        () => 0,
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
      created++;
      if (created === DEPLOYMENTS / 4) crash = lost.kill();
      // Resolves once it has caught up with the others: the milliseconds that took.
      if (created === (DEPLOYMENTS * 3) / 4) rejoin = crash!.then(() => timed(() => lost.start()).catch(() => Number.NaN));
    });
    const rejoinMs = await rejoin;

    const expected = notificationsOf(OWNER, names);
    const counts = { 'deployment.created': DEPLOYMENTS, 'deployment.succeeded': DEPLOYMENTS, 'email.sent': expected.length + 1 };
    const { running, ...seen } = await settledOutcome(scenario, { expected, counts, token });

    const outcome = {
      ...seen,
      notes: [
        `failed requests ${client.failures.length}`,
        `answers ${JSON.stringify(statuses)}`,
        `running ${running}/${DEPLOYMENTS}`,
        `killed ${lost.name}, the DEPLOYMENT stream's leader; back and caught up ${((rejoinMs ?? Number.NaN) / 1000).toFixed(1)} s after its start`,
      ],
    };
    const { lost: lostEvents, duplicated } = report('fault 9 NATS cluster loses a member', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    const failed = client.failures
      .slice(0, 10)
      .map((f) => `  +${((f.at - startedAt) / 1000).toFixed(1)} s: ${f.request} ${f.status} ${JSON.stringify(f.body).slice(0, 160)}`)
      .join('\n');
    expect(client.failures.length, `failed requests (first few):\n${failed}\n${why}`).toBe(0);
    expect(lostEvents, why).toBe(0);
    expect(duplicated, why).toBe(0);
    expect(statuses).toEqual({ 202: DEPLOYMENTS });
    expect(running).toBe(DEPLOYMENTS);
    expect(Number.isFinite(rejoinMs), `${lost.name} rejoined and caught up`).toBe(true);
  });
});

/**
 * The member that leads the stream storing `subject`: losing it forces an election before anything more is
 * stored. Checks first that the services gave the stream a replica on every member.
 */
async function leaderOf(cluster: NatsCluster, subject: string): Promise<NatsServer> {
  const connection = await connect({ servers: [...cluster.urls] });
  try {
    const jsm = await jetstreamManager(connection);
    const { config, cluster: placement } = await jsm.streams.info(await jsm.streams.find(subject));
    expect(config.num_replicas, `replicas of ${config.name}`).toBe(cluster.members.length);
    const leader = cluster.members.find((member) => member.name === placement?.leader);
    if (!leader) throw new Error(`no member leads ${config.name}: ${JSON.stringify(placement)}`);
    return leader;
  } finally {
    await connection.close();
  }
}

async function timed(work: () => Promise<void>): Promise<number> {
  const began = Date.now();
  await work();
  return Date.now() - began;
}
