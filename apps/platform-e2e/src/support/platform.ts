import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startNatsServer, startSmtpServer, waitFor, type NatsServer, type SmtpServer } from '@mediamagic/testing';

export const SERVICES = ['user-service', 'deployment-service', 'email-service', 'analytics-service', 'gateway'] as const;
export type Service = (typeof SERVICES)[number];

const ROOT = resolve(import.meta.dirname, '../../../..');

/**
 * The whole platform as a user runs it: the five built apps as separate processes, a real
 * nats-server with JetStream and a real SMTP server, each service with its own database — embedded
 * under a temporary DATA_DIR, or, when E2E_POSTGRES is set, the PostgreSQL databases that
 * `scripts/create-databases.mjs` made on that server.
 */
export class Platform {
  readonly processes = new Map<Service, ChildProcess>();
  private constructor(
    readonly nats: NatsServer,
    readonly smtp: SmtpServer,
    readonly baseUrl: string,
    private readonly env: Record<Service, NodeJS.ProcessEnv>,
    private readonly dataDir: string,
    private readonly logDir: string,
  ) {}

  static async start(options: { provisioningDelayMs: number }): Promise<Platform> {
    const [nats, smtp, port] = await Promise.all([startNatsServer(), startSmtpServer(), freePort()]);
    const dataDir = mkdtempSync(join(tmpdir(), 'mm-e2e-'));
    const logDir = join(ROOT, 'tmp/e2e-logs');
    rmSync(logDir, { recursive: true, force: true });
    mkdirSync(logDir, { recursive: true });
    const baseUrl = `http://127.0.0.1:${port}`;
    const postgres = process.env['E2E_POSTGRES'];
    const common = { PATH: process.env['PATH'], NATS_ADDR: nats.url, DATA_DIR: dataDir, NO_COLOR: '1' };
    const database = (service: Service) => (postgres ? { DATABASE_URL: `${postgres.replace(/\/$/, '')}/${databaseName(service)}` } : {});
    const env: Record<Service, NodeJS.ProcessEnv> = {
      gateway: { ...common, PORT: String(port), JWT_SECRET: 'e2e-secret-that-is-at-least-32-characters-long' },
      'user-service': { ...common, ...database('user-service'), PUBLIC_URL: baseUrl },
      'deployment-service': { ...common, ...database('deployment-service'), PROVISIONING_DELAY_MS: String(options.provisioningDelayMs) },
      'email-service': { ...common, ...database('email-service'), SMTP_URL: smtp.url, MAIL_FROM: 'Media Magic <no-reply@mediamagic.test>' },
      'analytics-service': { ...common, ...database('analytics-service') },
    };
    const platform = new Platform(nats, smtp, baseUrl, env, dataDir, logDir);
    try {
      await Promise.all(SERVICES.map((service) => platform.startService(service)));
      await waitFor(async () => (await fetch(`${baseUrl}/health/ready`)).ok, { timeoutMs: 20_000, message: 'the gateway to be ready' });
    } catch (error) {
      await platform.stop();
      throw error;
    }
    return platform;
  }

  /** Starts one service and resolves once it logged that it is ready; fails with its output if it exits first. */
  async startService(service: Service): Promise<void> {
    const child = spawn(process.execPath, [join(ROOT, `dist/apps/${service}/main.js`)], { cwd: ROOT, env: this.env[service], stdio: ['ignore', 'pipe', 'pipe'] });
    this.processes.set(service, child);
    const log = createWriteStream(join(this.logDir, `${service}.log`), { flags: 'a' });
    let output = '';
    const ready = new Promise<void>((resolveReady, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        log.write(chunk);
        if (output.includes('ready in')) resolveReady();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${service} exited with ${code} before it was ready:\n${output.slice(-3_000)}`)));
    });
    // Generous: a first start on a fresh machine also creates the embedded database cluster.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      await ready;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL: the process gets no chance to finish anything, as in a crash. */
  async kill(service: Service): Promise<void> {
    const child = this.processes.get(service);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM to every service, then the broker and SMTP server; returns each service's exit code. */
  async stop(): Promise<Partial<Record<Service, number | null>>> {
    const codes: Partial<Record<Service, number | null>> = {};
    await Promise.all(
      [...this.processes].map(async ([service, child]) => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        }
        codes[service] = child.exitCode;
      }),
    );
    await Promise.all([this.nats.dispose(), this.smtp.stop()]);
    rmSync(this.dataDir, { recursive: true, force: true });
    return codes;
  }
}

/** The database of a service on a shared PostgreSQL server (see scripts/create-databases.mjs). */
export function databaseName(service: Service): string {
  return `mediamagic_${service.replace('-service', '')}`;
}
