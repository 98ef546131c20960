/**
 * Part 3's tools: autocannon runs (at a fixed rate or unthrottled) and the bare Fastify baseline process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, waitFor } from '@mediamagic/testing';

export interface LoadFigures {
  /** Successful (2xx) answers per second over the run. */
  rps: number;
  p50: number;
  p99: number;
  /** Answers that were not 2xx, plus errors and timeouts. */
  failed: number;
  total: number;
}

export interface LoadOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Requests per second over all connections; unthrottled when absent. */
  rate?: number;
  seconds: number;
  connections: number;
}

export async function load(url: string, options: LoadOptions): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: options.body,
    overallRate: options.rate,
    duration: options.seconds,
    connections: options.connections,
    // Latencies of failed requests would flatter a server that fails fast.
    excludeErrorStats: true,
    timeout: 10,
  });
  const seconds = result.duration || options.seconds;
  return {
    rps: result['2xx'] / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
    total: result.requests.total,
  };
}

export interface BareFastify {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startBareFastify(): Promise<BareFastify> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'bare-fastify.ts')], {
    env: { ...process.env, PORT: String(port), NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`bare Fastify exited with ${child.exitCode}: ${output}`);
      return output.includes('listening');
    },
    { timeoutMs: 20_000, message: 'bare Fastify to listen' },
  );
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
