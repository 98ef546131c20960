import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { stopProcess } from './stop-process';
import { waitFor } from './wait-for';

export interface NatsServer {
  /** `nats://127.0.0.1:<port>`, stable across stop/start so clients can reconnect. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL); the JetStream store is kept for a restart. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  /** Stops it and deletes its store. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /**
   * A nats-server configuration file (`-c`), e.g. one with authorization. The free port, JetStream and
   * the temporary store given on the command line take precedence over the file's.
   */
  config?: string;
}

/**
 * Runs a real `nats-server` with JetStream in a temporary store on a free port, so every test file
 * is isolated from the machine's own NATS and can stop and restart its broker at will.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const binary = process.env['NATS_SERVER_BIN'] ?? 'nats-server';
  const storeDir = await mkdtemp(join(tmpdir(), 'nats-test-'));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    const config = options.config ? ['-c', options.config] : [];
    const proc = spawn(binary, [...config, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    // What it said last, for the error when it does not start.
    let said = '';
    proc.stderr?.on('data', (chunk: Buffer) => (said = (said + chunk.toString()).slice(-2_000)));
    let failure: Error | undefined;
    proc.once('error', (error) => (failure = new Error(`cannot run ${binary}: ${error.message} (install it: apt-get install -y nats-server)`)));
    proc.once('exit', (code) => (failure ??= new Error(`nats-server exited with code ${code}: ${said.trim().split('\n').slice(-3).join(' | ')}`)));
    await waitFor(
      () => {
        if (failure) throw failure;
        return canConnect(port);
      },
      { timeoutMs: 15_000, message: `nats-server on port ${port}` },
    ).catch((error) => {
      if (failure) throw failure;
      throw error;
    });
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (proc) await stopProcess(proc, 'SIGTERM', 5_000);
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    start,
    stop,
    dispose: async () => {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
