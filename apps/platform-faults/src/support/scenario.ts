import { Platform, startNatsCluster, startPostgresServer, type NatsCluster, type PlatformOptions, type PostgresServer } from '@mediamagic/testing';
import { Client } from './client';

export interface Scenario {
  platform: Platform;
  postgres: PostgresServer;
  client: Client;
  /** The NATS cluster the services use, when the scenario asked for one. */
  cluster?: NatsCluster;
}

/**
 * A platform of its own for one scenario (a describe block), on a PostgreSQL the test owns, so that
 * instances can share a database and the server can be restarted; logs in tmp/<suite>-logs.
 * `natsCluster: 3` puts it on a cluster of three nats-servers instead of one.
 */
export function usePlatform(
  suite: string,
  { natsCluster, ...options }: Omit<PlatformOptions, 'postgres' | 'suite' | 'nats'> & { natsCluster?: number } = {},
): Scenario {
  const scenario = {} as Scenario;
  beforeAll(async () => {
    scenario.postgres = await startPostgresServer();
    if (natsCluster) scenario.cluster = await startNatsCluster(natsCluster);
    scenario.platform = await Platform.start({ provisioningDelayMs: 500, ...options, suite, postgres: scenario.postgres, nats: scenario.cluster });
    scenario.client = new Client(scenario.platform.baseUrl);
  });
  afterAll(async () => {
    await scenario.platform?.stop();
    await scenario.cluster?.dispose();
    await scenario.postgres?.dispose();
  });
  return scenario;
}
