import { connect } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { startNatsCluster, startNatsServer } from './nats-server';
import { waitFor } from './wait-for';

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

describe('test helpers', () => {
  it('runs a nats-server that can be stopped and started again on the same port', async () => {
    const server = await startNatsServer();
    try {
      expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
      expect(await accepts(server.port)).toBe(true);
      await server.stop();
      expect(await accepts(server.port)).toBe(false);
      await server.start();
      expect(await accepts(server.port)).toBe(true);
    } finally {
      await server.dispose();
    }
  });

  it('runs a three-member cluster whose replicated stream survives losing a member, which then rejoins', async () => {
    const cluster = await startNatsCluster(3);
    const connection = await connectNats({ servers: [...cluster.urls], maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      expect(cluster.url).toBe(cluster.urls.join(','));
      const jsm = await jetstreamManager(connection);
      await jsm.streams.add({ name: 'SURVIVOR', subjects: ['survivor.>'], num_replicas: 3 });
      const js = jetstream(connection);
      // Sent again until stored (a new leader takes a moment); the message id keeps a repeat from being stored twice.
      const publish = (i: number) =>
        waitFor(() => js.publish('survivor.message', `message ${i}`, { msgID: `message-${i}`, timeout: 2_000 }), {
          timeoutMs: 30_000,
          intervalMs: 100,
          message: `message ${i} to be stored`,
        });
      for (let i = 0; i < 10; i++) await publish(i);
      const before = await jsm.streams.info('SURVIVOR');
      expect(before.cluster?.replicas).toHaveLength(2);
      // The stream's leader: losing it is the harder case, a new one must be elected.
      const lost = cluster.members.find((member) => member.name === before.cluster?.leader)!;

      await lost.kill();
      for (let i = 10; i < 20; i++) await publish(i);
      const during = await jsm.streams.info('SURVIVOR');
      expect(during.state.messages).toBe(20);
      expect(during.cluster?.leader).not.toBe(lost.name);

      await lost.start();
      const rejoined = await waitFor(
        async () => {
          const replica = (await jsm.streams.info('SURVIVOR')).cluster?.replicas?.find((r) => r.name === lost.name);
          return replica?.current && !replica.offline && replica;
        },
        { timeoutMs: 30_000, intervalMs: 100, message: `${lost.name} to catch up` },
      );
      expect(rejoined.lag ?? 0).toBe(0);
    } finally {
      await connection.close();
      await cluster.dispose();
    }
  });

  it('waitFor returns the first truthy value, and names what it waited for when it times out', async () => {
    let calls = 0;
    await expect(waitFor(() => ++calls >= 3 && calls)).resolves.toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 50, message: 'the impossible' })).rejects.toThrow(/timed out after 50 ms waiting for the impossible/);
  });
});
