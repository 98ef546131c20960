import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Database } from '@mediamagic/database';
import { PubSub } from '@mediamagic/pubsub';
import { observeConsumers } from '@mediamagic/pubsub/telemetry';
import { metricsRegistry } from './metrics';

export const HEALTH_PORT = Symbol('HEALTH_PORT');

const CHECK_TIMEOUT_MS = 1_000;

type Check = 'up' | 'down';

/**
 * The health endpoints of a service without HTTP of its own, as the gateway has them: `GET /health`
 * (liveness: the process answers, no dependency checked, so an outage elsewhere never gets it
 * restarted) and `GET /health/ready` (readiness: NATS and the database answer); and `GET /metrics`,
 * the Prometheus scrape. Plain node:http: three routes do not need a framework.
 */
@Injectable()
export class HealthServer implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Health');
  private server?: Server;
  private stopping = false;
  private unobserve?: () => void;

  constructor(
    @Inject(HEALTH_PORT) private readonly port: number,
    @Inject(PubSub) private readonly pubsub: PubSub,
    @Inject(Database) private readonly db: Database,
  ) {}

  /** The port it listens on (useful when configured as 0). */
  get address(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.unobserve = observeConsumers(this.pubsub, metricsRegistry());
    const server = createServer((request, response) => {
      if (request.url?.split('?')[0] === '/metrics' && request.method === 'GET') {
        void scrape(response);
        return;
      }
      void this.answer(request.method, request.url).then(({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, () => resolve());
    });
    this.server = server;
    this.logger.log(`health endpoints on port ${this.address}: /health, /health/ready, /metrics`);
  }

  // Not ready from the first moment of a stop, while the work in flight finishes.
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.unobserve?.();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private async answer(method: string | undefined, url: string | undefined): Promise<{ status: number; body: object }> {
    if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: { statusCode: 405, message: 'only GET' } };
    const path = (url ?? '/').split('?')[0];
    if (path === '/health') return { status: 200, body: { status: 'ok' } };
    if (path !== '/health/ready') return { status: 404, body: { statusCode: 404, message: 'try /health, /health/ready or /metrics' } };
    const [nats, database] = await Promise.all([check(() => this.pubsub.ping(CHECK_TIMEOUT_MS)), check(() => this.db.ping(CHECK_TIMEOUT_MS))]);
    const ready = nats === 'up' && database === 'up' && !this.stopping;
    return {
      status: ready ? 200 : 503,
      body: { status: ready ? 'ok' : 'unavailable', checks: { nats, database }, ...(this.stopping ? { stopping: true } : {}) },
    };
  }
}

async function check(probe: () => Promise<void>): Promise<Check> {
  return probe().then(
    () => 'up' as const,
    () => 'down' as const,
  );
}

async function scrape(response: ServerResponse): Promise<void> {
  const registry = metricsRegistry();
  try {
    const text = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' }).end(text);
  } catch (error) {
    response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics unavailable: ${(error as Error).message}\n`);
  }
}
