import { Platform, startPostgresServer, type PlatformOptions, type PostgresServer } from '@mediamagic/testing';
import { Client } from './client';

export interface Scenario {
  platform: Platform;
  postgres: PostgresServer;
  client: Client;
}

/**
 * A platform of its own for one scenario (a describe block), on a PostgreSQL the test owns, so that
 * instances can share a database and the server can be restarted; logs in tmp/<suite>-logs.
 */
export function usePlatform(suite: string, options: Omit<PlatformOptions, 'postgres' | 'suite'> = {}): Scenario {
  const scenario = {} as Scenario;
  beforeAll(async () => {
    scenario.postgres = await startPostgresServer();
    scenario.platform = await Platform.start({ provisioningDelayMs: 500, ...options, suite, postgres: scenario.postgres });
    scenario.client = new Client(scenario.platform.baseUrl);
  });
  afterAll(async () => {
    await scenario.platform?.stop();
    await scenario.postgres?.dispose();
  });
  return scenario;
}
