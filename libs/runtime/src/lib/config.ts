import { resolve } from 'node:path';
import { z } from 'zod';

/** The configuration was wrong: the message lists every variable at fault, never their values. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A URL variable with one of `protocols` (e.g. `['smtp:', 'smtps:']`); the message never shows the value. */
export const urlVariable = (protocols: string[], what: string) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${what} URL (${protocols.map((p) => `${p}//`).join(' or ')})`,
  );

/**
 * How a service logs: LOG_FORMAT (`json` lines, or `pretty` for a person; unset, pretty in a terminal) and LOG_LEVEL.
 * Read by startService for every service before its own configuration, as the OTEL_* variables are read by the
 * tracing: not part of an app's schema, so compose and Kubernetes need not set them.
 */
export const LogEnv = z.object({
  LOG_FORMAT: z.enum(['json', 'pretty'], { message: "must be 'json' or 'pretty'" }).optional(),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug'], { message: "must be 'error', 'warn', 'info' or 'debug'" }).default('info'),
});
export type LogEnv = z.output<typeof LogEnv>;

/** The variables every service reads (the README's configuration table). */
export const CommonEnv = z.object({
  NATS_ADDR: z
    .string()
    .regex(/^\s*\S+(\s*,\s*\S+)*\s*$/, 'must be one or more NATS server URLs separated by commas')
    .default('nats://127.0.0.1:4222'),
  // One NATS user per service when the server requires authorization (compose, Kubernetes).
  NATS_USER: z.string().optional(),
  NATS_PASSWORD: z.string().optional(),
  // Copies of each JetStream stream a service creates: 3 in a three-node cluster, so losing a node loses no event.
  NATS_STREAM_REPLICAS: z.coerce.number<string>().int('must be a whole number').min(1, 'must be from 1 to 5').max(5, 'must be from 1 to 5').default(1),
  DATA_DIR: z
    .string()
    .default('.data')
    .transform((dir) => resolve(dir)),
});

/** Services without HTTP of their own: where their health endpoints listen (containers set it; unset, none). */
export const HealthEnv = z.object({
  HEALTH_PORT: z.coerce.number<string>().int('must be a whole number').min(1, 'must be from 1 to 65535').max(65535, 'must be from 1 to 65535').optional(),
});

/** Services with a database of their own. */
export const DatabaseEnv = z.object({
  DATABASE_URL: urlVariable(['postgres:', 'postgresql:'], 'PostgreSQL').optional(),
});

/** The four services behind the gateway: a database each, and health endpoints on HEALTH_PORT. */
export const BackendServiceEnv = CommonEnv.extend(DatabaseEnv.shape).extend(HealthEnv.shape);

export const PublicUrlEnv = z.object({
  PUBLIC_URL: urlVariable(['http:', 'https:'], 'http(s)')
    .default('http://localhost:3000')
    .transform((value) => value.replace(/\/+$/, '')),
});

/**
 * Parses the environment. An empty variable counts as unset, as docker-compose and Kubernetes
 * write them. Throws a ConfigError naming each variable and what is wrong with it.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}
