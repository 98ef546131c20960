import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { ROOT, SERVICE_SPECS, SERVICES, type Service } from '@mediamagic/testing';

export { ROOT };

/** The platform's apps, as services.json lists them. */
export const APPS = SERVICES;
export type App = Service;

/** The apps with a database of their own, and its name (one database per service). */
export const DATABASES: Partial<Record<App, string>> = Object.fromEntries(SERVICE_SPECS.flatMap(({ name, database }) => (database ? [[name, database]] : [])));

/** Where each app listens: the gateway's API on PORT, the others' health endpoints on HEALTH_PORT. */
export const APP_PORTS: Record<App, { variable: 'PORT' | 'HEALTH_PORT'; port: number }> = Object.fromEntries(
  SERVICE_SPECS.map(({ name, port }) => [name, { variable: port.variable, port: port.container }]),
);

export function readRepoFile(path: string): string {
  return readFileSync(resolve(ROOT, path), 'utf8');
}

/**
 * The environment an app reads: its zod schema in apps/<app>/src/config.ts. Imported by a computed
 * path on purpose: this project checks the apps from outside and never imports them statically.
 */
export async function appConfigSchema(app: App): Promise<z.ZodObject> {
  const module = (await import(resolve(ROOT, 'apps', app, 'src/config.ts'))) as Record<string, unknown>;
  const schemas = Object.values(module).filter((value): value is z.ZodObject => isZodObject(value));
  if (schemas.length !== 1) throw new Error(`apps/${app}/src/config.ts should export one zod object schema, found ${schemas.length}`);
  return schemas[0];
}

function isZodObject(value: unknown): value is z.ZodObject {
  return typeof value === 'object' && value !== null && 'shape' in value && typeof (value as { safeParse?: unknown }).safeParse === 'function';
}

/** The users of the NATS authorization and the environment variable holding each one's password. */
export function natsUsers(authorizationConf: string): Map<string, string> {
  const users = new Map<string, string>();
  for (const [, user, variable] of authorizationConf.matchAll(/user:\s*([\w-]+)\s+password:\s*\$(\w+)/g)) users.set(user, variable);
  return users;
}

/** `create_database <database> <user> "$<PASSWORD VARIABLE>"` lines of docker/postgres/init-databases.sh. */
export function initScriptDatabases(script: string): Array<{ database: string; user: string; passwordVariable: string }> {
  return [...script.matchAll(/^create_database (\w+) (\w+) "\$(\w+)"$/gm)].map(([, database, user, passwordVariable]) => ({
    database,
    user,
    passwordVariable,
  }));
}
