import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { stopProcess } from './stop-process';
import { waitFor } from './wait-for';

/** What the services connect to: one nats-server or a cluster of them. */
export interface NatsBroker {
  /** What `NATS_ADDR` gets: `nats://127.0.0.1:<port>`, or every member's URL separated by commas; stable across stop/start. */
  readonly url: string;
  /** Stops it (SIGTERM, then SIGKILL); the JetStream store is kept for a restart. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and store; resolves once JetStream answers (in a cluster: has caught up). */
  start(): Promise<void>;
  /** Stops it and deletes its store. */
  dispose(): Promise<void>;
}

export interface NatsServer extends NatsBroker {
  readonly port: number;
  /** Its server name, the one JetStream gives as a stream's leader or replica. */
  readonly name: string;
  /** SIGKILL, as a crash or a lost machine: nothing is flushed. The store is kept for a restart. */
  kill(): Promise<void>;
}

export interface NatsCluster extends NatsBroker {
  readonly members: readonly NatsServer[];
  /** Every member's URL, as a client is given them (`connect({ servers })`). */
  readonly urls: readonly string[];
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
  const server = await natsServer('nats', options.config ? ['-c', options.config] : []);
  await server.start();
  return server;
}

/**
 * A cluster of `size` real nats-servers on loopback, routed to one another, each with JetStream in a store of
 * its own: streams created with `size` replicas survive the loss of a member (a majority stays). Resolves once
 * every member has JetStream in contact with an elected leader.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const routes = (await distinctFreePorts(size)).map((port) => `nats://127.0.0.1:${port}`);
  const clusterName = `test-${randomBytes(4).toString('hex')}`;
  const members: NatsServer[] = [];
  // One after the other: ports chosen at the same moment could be the same.
  for (const [i, route] of routes.entries()) {
    const others = routes.filter((_, j) => j !== i).join(',');
    members.push(await natsServer(`${clusterName}-${i + 1}`, ['--cluster_name', clusterName, '--cluster', route, '--routes', others]));
  }
  const cluster: NatsCluster = {
    members,
    urls: members.map((member) => member.url),
    url: members.map((member) => member.url).join(','),
    // Together: a member alone cannot elect a leader, so it would never report itself ready.
    start: async () => void (await Promise.all(members.map((member) => member.start()))),
    stop: async () => void (await Promise.all(members.map((member) => member.stop()))),
    dispose: async () => void (await Promise.all(members.map((member) => member.dispose()))),
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.dispose();
    throw error;
  }
  return cluster;
}

/** One nats-server, not started yet: its ports and store are chosen now and kept across restarts. */
async function natsServer(name: string, extraArgs: string[]): Promise<NatsServer> {
  const binary = process.env['NATS_SERVER_BIN'] ?? 'nats-server';
  const storeDir = await mkdtemp(join(tmpdir(), 'nats-test-'));
  const [port, monitorPort] = await distinctFreePorts(2);
  const args = [...extraArgs, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-n', name, '-js', '-sd', storeDir];
  let child: ChildProcess | undefined;

  const start = async () => {
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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
        return healthy(monitorPort);
      },
      { timeoutMs: 30_000, message: `nats-server ${name} on port ${port} to be healthy` },
    ).catch((error) => {
      if (failure) throw failure;
      throw error;
    });
  };

  const end = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    if (proc) await stopProcess(proc, signal, 5_000);
  };

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    name,
    start,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    dispose: async () => {
      await end('SIGTERM');
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * The server's own health check: it accepts clients and JetStream is up; in a cluster, in contact with the
 * elected leader and with every stream and consumer it holds caught up (a restarted member has rejoined).
 */
async function healthy(monitorPort: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${monitorPort}/healthz`, { signal: AbortSignal.timeout(2_000) });
  return response.ok;
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}
