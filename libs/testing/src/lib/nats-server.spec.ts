import { connect } from 'node:net';
import { startNatsServer } from './nats-server';
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

  it('waitFor returns the first truthy value, and names what it waited for when it times out', async () => {
    let calls = 0;
    await expect(waitFor(() => ++calls >= 3 && calls)).resolves.toBe(3);
    await expect(waitFor(() => false, { timeoutMs: 50, message: 'the impossible' })).rejects.toThrow(/timed out after 50 ms waiting for the impossible/);
  });
});
