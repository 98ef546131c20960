import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { stopProcess } from './stop-process';
import { startNatsServer, type NatsBroker, type NatsCluster, type NatsServer } from './nats-server';
import type { PostgresServer } from './postgres-server';
import { ROOT, SERVICE_SPECS, SERVICES, serviceSpec, type Service } from './services';
import { startSmtpServer, type RecipientRule, type SmtpServer } from './smtp-server';
import { waitFor } from './wait-for';

export interface PlatformOptions {
  /** Names the log folder, `tmp/<suite>-logs/<instance>.log` (emptied at start). Default `e2e`. */
  suite?: string;
  /** deployment-service's simulated provisioning time. Default 1 000 ms. */
  provisioningDelayMs?: number;
  /**
   * Where the services keep their data. A PostgresServer (the test's own): the harness creates each service's
   * database afresh on it. A URL (`postgres://user@host:port`): the databases must exist, as
   * `scripts/create-databases.mjs` makes them. Default: the E2E_POSTGRES URL, else each service's embedded database.
   */
  postgres?: PostgresServer | string;
  /** Extra environment per service, for every instance and every start. */
  env?: Partial<Record<Service, Record<string, string>>>;
  /** Several processes of a service (default 1), named `email-service`, `email-service#2`, ...; needs PostgreSQL. */
  instances?: Partial<Record<Service, number>>;
  /**
   * The broker, owned by the caller (it stays up after `stop()`): a cluster gets every member's URL in NATS_ADDR
   * and streams with a replica on each member. Default: a nats-server of the platform's own.
   */
  nats?: NatsServer | NatsCluster;
  /**
   * The gateway's limits per client address as configured by default. Off unless asked: the suites send
   * everything from one address, as no real population of users does.
   */
  rateLimits?: boolean;
  /** How the SMTP server answers each recipient (default: accepts all), to play a mailbox that refuses mail. */
  smtpRefuse?: RecipientRule;
}

/** How a process ended: an exit code, or the signal that ended it. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Environment for one start; `undefined` removes a variable the service would otherwise get. */
export type EnvOverrides = Record<string, string | undefined>;

interface Instance {
  readonly service: Service;
  readonly number: number;
  readonly name: string;
  /** Its port variable's value (the gateway's PORT, the others' HEALTH_PORT): kept across restarts. */
  readonly port: number;
  process?: ChildProcess;
  exit?: Promise<ExitStatus>;
}

/**
 * The whole platform as a user runs it: the built apps of services.json as separate processes, a real
 * nats-server with JetStream (or the caller's cluster of them), a real SMTP server, and a database per service.
 * Tests and benchmarks drive it from outside: `baseUrl` (the gateway), `smtp` (the inbox), `nats`
 * (stop/start the broker), and per process `kill`, `startService`, `restart`, `pid`, `healthUrl`; `stop()` ends it all.
 */
export class Platform {
  private readonly instances = new Map<string, Instance>();

  private constructor(
    readonly nats: NatsBroker,
    private readonly ownsNats: boolean,
    readonly smtp: SmtpServer,
    /** The gateway (its first instance): `http://127.0.0.1:<port>`. */
    readonly baseUrl: string,
    /** Where each instance's output goes, `<instance>.log`: the place to look when a test fails. */
    readonly logDir: string,
    private readonly env: Record<Service, NodeJS.ProcessEnv>,
    private readonly databaseUrls: Partial<Record<Service, string>>,
    private readonly dataDir: string,
  ) {}

  static async start(options: PlatformOptions = {}): Promise<Platform> {
    const postgres = options.postgres ?? process.env['E2E_POSTGRES'];
    const counts = Object.fromEntries(SERVICES.map((service) => [service, options.instances?.[service] ?? 1]));
    const shared = SERVICE_SPECS.filter((spec) => counts[spec.name] > 1 && spec.database).map((spec) => spec.name);
    if (shared.length > 0 && !postgres) throw new Error(`several instances of ${shared.join(', ')} share one database: pass options.postgres`);

    const databaseUrls: Partial<Record<Service, string>> = {};
    if (postgres) {
      const base = (typeof postgres === 'string' ? postgres : postgres.url).replace(/\/$/, '');
      for (const spec of SERVICE_SPECS) if (spec.database) databaseUrls[spec.name] = `${base}/${spec.database}`;
      if (typeof postgres !== 'string') await Promise.all(Object.keys(databaseUrls).map((service) => postgres.createDatabase(databaseName(service))));
    }

    const [nats, smtp] = await Promise.all([options.nats ?? startNatsServer(), startSmtpServer(options.smtpRefuse)]);
    const replicas = 'members' in nats ? { NATS_STREAM_REPLICAS: String(nats.members.length) } : {};
    const instances: Instance[] = [];
    for (const service of SERVICES) {
      for (let number = 1; number <= counts[service]; number++) {
        let port: number;
        do port = await freePort();
        while (instances.some((other) => other.port === port));
        instances.push({ service, number, name: instanceName(service, number), port });
      }
    }
    const baseUrl = `http://127.0.0.1:${instances.find((it) => it.service === GATEWAY)!.port}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'mm-platform-'));
    const logDir = join(ROOT, `tmp/${options.suite ?? 'e2e'}-logs`);
    rmSync(logDir, { recursive: true, force: true });
    mkdirSync(logDir, { recursive: true });

    // The harness's value of each variable a service may read (services.json says which it reads); unlisted ones keep their defaults.
    const values: Record<string, string | undefined> = {
      JWT_SECRET: 'e2e-secret-that-is-at-least-32-characters-long',
      PUBLIC_URL: baseUrl,
      PROVISIONING_DELAY_MS: String(options.provisioningDelayMs ?? 1_000),
      SMTP_URL: smtp.url,
      MAIL_FROM: 'Media Magic <no-reply@mediamagic.test>',
      AUTH_RATE_LIMIT: options.rateLimits ? undefined : '0',
    };
    const env: Record<Service, NodeJS.ProcessEnv> = {};
    for (const spec of SERVICE_SPECS) {
      const own: Record<string, string | undefined> = { ...values, DATABASE_URL: databaseUrls[spec.name] };
      const read = Object.fromEntries(spec.env.flatMap((name) => (own[name] === undefined ? [] : [[name, own[name]]])));
      env[spec.name] = { PATH: process.env['PATH'], NATS_ADDR: nats.url, ...replicas, DATA_DIR: dataDir, NO_COLOR: '1', ...read, ...options.env?.[spec.name] };
    }

    const platform = new Platform(nats, !options.nats, smtp, baseUrl, logDir, env, databaseUrls, dataDir);
    for (const it of instances) platform.instances.set(it.name, it);
    try {
      await Promise.all(instances.map((it) => platform.launch(it)));
    } catch (error) {
      await platform.stop();
      throw new Error(`the platform did not start (logs in ${logDir}): ${(error as Error).message}`, { cause: error });
    }
    return platform;
  }

  /**
   * Starts an instance again (after kill) and resolves once its `/health/ready` answers 200; fails with
   * its output if it exits first. `env` applies to this start only.
   */
  async startService(service: Service, instance = 1, env: EnvOverrides = {}): Promise<void> {
    const it = this.instance(service, instance);
    if (alive(it)) throw new Error(`${it.name} is already running`);
    await this.launch(it, env);
  }

  /** SIGTERM, as an orchestrator restarts a service; once it has exited, starts it again and waits until it is ready. Returns how it exited. */
  async restart(service: Service, instance = 1): Promise<ExitStatus> {
    const exit = await this.kill(service, 'SIGTERM', instance);
    await this.startService(service, instance);
    return exit;
  }

  /** Sends `signal` (SIGKILL: a crash, nothing gets finished) and resolves once the process is gone. */
  async kill(service: Service, signal: NodeJS.Signals = 'SIGKILL', instance = 1): Promise<ExitStatus> {
    const it = this.instance(service, instance);
    if (alive(it)) it.process!.kill(signal);
    return this.exited(service, instance);
  }

  /** Resolves when the instance's current process has ended (at once if it is not running), e.g. after a fault hook. */
  exited(service: Service, instance = 1): Promise<ExitStatus> {
    return this.instance(service, instance).exit ?? Promise.resolve({ code: null, signal: null });
  }

  isRunning(service: Service, instance = 1): boolean {
    return alive(this.instance(service, instance));
  }

  /** The process id of a running instance (e.g. to read its memory from /proc/<pid>/status). */
  pid(service: Service, instance = 1): number | undefined {
    return this.isRunning(service, instance) ? this.instance(service, instance).process?.pid : undefined;
  }

  /** Every running instance's pid, by instance name. */
  pids(): Record<string, number> {
    return Object.fromEntries([...this.instances.values()].filter(alive).map((it) => [it.name, it.process!.pid!]));
  }

  /** The API of one gateway process (`baseUrl` is the first's), for a client spread over several as an ingress spreads it. */
  apiUrl(instance = 1): string {
    return this.healthUrl(GATEWAY, instance);
  }

  /** Where an instance answers `/health` and `/health/ready` (the gateway's PORT, the others' HEALTH_PORT). */
  healthUrl(service: Service, instance = 1): string {
    return `http://127.0.0.1:${this.instance(service, instance).port}`;
  }

  /** The instance's log: every start appends to it. */
  logFile(service: Service, instance = 1): string {
    return join(this.logDir, `${this.instance(service, instance).name}.log`);
  }

  /** The service's PostgreSQL database, when the platform runs on PostgreSQL. */
  databaseUrl(service: Service): string | undefined {
    return this.databaseUrls[service];
  }

  /** SIGTERM to every instance, then the SMTP server and the platform's own broker go; returns each instance's exit code (null: killed). */
  async stop(): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    await Promise.all(
      [...this.instances.values()].map(async (it) => {
        if (!it.process) return;
        await stopProcess(it.process, 'SIGTERM', 15_000);
        codes[it.name] = it.process.exitCode;
      }),
    );
    await Promise.all([this.ownsNats && this.nats.dispose(), this.smtp.stop()]);
    rmSync(this.dataDir, { recursive: true, force: true });
    return codes;
  }

  private instance(service: Service, number: number): Instance {
    const it = this.instances.get(instanceName(service, number));
    if (!it) throw new Error(`no instance ${number} of ${service}`);
    return it;
  }

  /** Spawns the instance and resolves once it is ready; fails with the end of its output if it exits first or is not ready in time. */
  private async launch(it: Instance, overrides: EnvOverrides = {}): Promise<void> {
    const spec = serviceSpec(it.service);
    const env = { ...this.env[it.service], [spec.port.variable]: String(it.port), ...overrides };
    const child = spawn(process.execPath, [join(ROOT, spec.main)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    it.process = child;
    it.exit = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
    // 'close', not 'exit': output may still be on its way when the process has exited.
    const closed = new Promise<void>((resolveClose) => child.once('close', () => resolveClose()));
    const log = createWriteStream(join(this.logDir, `${it.name}.log`), { flags: 'a' });
    void closed.then(() => log.end());
    let output = '';
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      output = (output + chunk.toString()).slice(-3_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);

    // Ready as compose and Kubernetes see it: its readiness endpoint answers 200 (it listens once the app has
    // started, and checks NATS and the database). Generous: a first start on a fresh machine also creates the
    // embedded database cluster.
    const readyUrl = `${this.healthUrl(it.service, it.number)}/health/ready`;
    const ready = async () => !alive(it) || (await fetch(readyUrl, { signal: AbortSignal.timeout(3_000) })).ok;
    try {
      await waitFor(ready, { timeoutMs: 90_000, intervalMs: 50, message: `${it.name} to answer ${readyUrl}` });
    } catch (error) {
      child.kill('SIGKILL');
      await closed;
      throw new Error(`${(error as Error).message}:\n${output}`, { cause: error });
    }
    if (!alive(it)) {
      await closed;
      const { code, signal } = await it.exit;
      throw new Error(`${it.name} exited with ${code ?? signal} before it was ready:\n${output}`);
    }
  }
}

/** The service that serves the public API on PORT. */
const GATEWAY = SERVICE_SPECS.find((spec) => spec.port.variable === 'PORT')!.name;

/** The database of a service on a shared PostgreSQL server (see scripts/create-databases.mjs). */
export function databaseName(service: Service): string {
  const { database } = serviceSpec(service);
  if (!database) throw new Error(`${service} has no database`);
  return database;
}

/** `email-service` for the first instance, `email-service#2` for the second, ... */
export function instanceName(service: Service, instance = 1): string {
  return instance === 1 ? service : `${service}#${instance}`;
}

function alive(it: Instance): boolean {
  return !!it.process && it.process.exitCode === null && it.process.signalCode === null;
}
