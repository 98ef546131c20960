import { startNatsCluster, type NatsCluster } from '@mediamagic/testing';
import { createPubSub } from '../create-pubsub';

/**
 * A service that starts while its NATS cluster has no JetStream leader (a member lost, the others electing) must
 * wait for JetStream, saying so, rather than exit with "cannot start: timeout". Two members of three are stopped:
 * the one left accepts the connection but cannot answer a JetStream call until they are back.
 */
describe('JetStream calls at start, during a failover', () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNatsCluster(3);
  }, 60_000);
  afterAll(() => cluster?.dispose());

  it('are tried again until the cluster answers: the streams and consumers get made, and the log says why it waited', async () => {
    const [alone, ...others] = cluster.members;
    await Promise.all(others.map((member) => member.kill()));
    const warnings: string[] = [];
    const logger = { log: () => undefined, warn: (line: string) => void warnings.push(line), error: () => undefined };

    const starting = createPubSub({
      service: 'late-starter',
      natsAddr: alone!.url,
      streams: [{ name: 'FAILOVER', subjects: ['failover.>'], replicas: 3 }],
      logger,
    }).then(async (pubsub) => {
      await pubsub.subscribe('failover.happened', async () => undefined, { group: 'late-starter', delivery: 'at-least-once' });
      return pubsub;
    });
    // Long enough for a JetStream call of the start to time out (nats.js waits 5 s), then the members come back.
    const outcome = await Promise.race([starting.then(() => 'started without JetStream'), new Promise((resolve) => setTimeout(resolve, 7_000))]);
    expect(outcome).toBeUndefined();
    await Promise.all(others.map((member) => member.start()));

    const pubsub = await starting;
    try {
      await pubsub.publish('failover.happened', new Uint8Array([1]), { delivery: 'at-least-once' });
      expect(warnings.join('\n')).toMatch(/JetStream cannot .* for now .*trying again in \d+ ms/);
    } finally {
      await pubsub.close();
    }
  }, 120_000);
});
