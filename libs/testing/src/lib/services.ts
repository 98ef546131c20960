import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';

/** The repository root: where services.json, dist/ and tmp/ are. */
export const ROOT = resolve(import.meta.dirname, '../../../..');

const ServiceSpec = z.object({
  /** The Nx app under apps/<name>; also its NATS user, its image `mediamagic/<name>` and its compose/Kubernetes name. */
  name: z.string().regex(/^[a-z][a-z-]*$/),
  /** Its bundle, relative to the root, runnable with `node` once built. */
  main: z.string().endsWith('/main.js'),
  /** Where it answers `/health` and `/health/ready`: the gateway's API on PORT, the others' HEALTH_PORT; `container` is the port in images. */
  port: z.object({ variable: z.enum(['PORT', 'HEALTH_PORT']), container: z.number().int().positive() }),
  /** Its PostgreSQL database on a shared server (scripts/create-databases.mjs); none when it keeps no data. */
  database: z.string().regex(/^\w+$/).optional(),
  /** Every variable it reads besides `commonEnv` (its config schema in apps/<name>/src/config.ts, checked by deploy-check). */
  env: z.array(z.string().regex(/^[A-Z_]+$/)),
  /** The services it sends requests to: it is started once they are ready (compose `depends_on`). */
  calls: z.array(z.string()),
});
export type ServiceSpec = z.output<typeof ServiceSpec>;

const ServicesFile = z
  .object({ $comment: z.string().optional(), commonEnv: z.array(z.string()), services: z.array(ServiceSpec).min(1) })
  .superRefine(({ services }, context) => {
    const names = services.map((service) => service.name);
    for (const service of services) {
      const problem = (message: string) => context.addIssue({ code: 'custom', message: `${service.name}: ${message}` });
      if (!service.env.includes(service.port.variable)) problem(`env lacks its port variable ${service.port.variable}`);
      if (!!service.database !== service.env.includes('DATABASE_URL')) problem('has a database exactly when it reads DATABASE_URL');
      for (const callee of service.calls) if (!names.includes(callee)) problem(`calls ${callee}, which is not in the list`);
    }
    if (new Set(names).size !== names.length) context.addIssue({ code: 'custom', message: 'a service is listed twice' });
  });
export type ServicesFile = z.output<typeof ServicesFile>;

/** services.json, checked: a mistake there fails every consumer at once, with the reason. */
export function loadServices(path = resolve(ROOT, 'services.json')): ServicesFile {
  const parsed = ServicesFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path} is wrong:\n${parsed.error.issues.map((issue) => `  ${issue.message}`).join('\n')}`);
  return parsed.data;
}

/** The services in their listed order. */
export const SERVICE_SPECS: readonly ServiceSpec[] = loadServices().services;

/** Their names: `gateway`, `user-service`, ... */
export const SERVICES: readonly string[] = SERVICE_SPECS.map((service) => service.name);
/** A service's name (any of SERVICES). */
export type Service = string;

export function serviceSpec(name: Service): ServiceSpec {
  const spec = SERVICE_SPECS.find((service) => service.name === name);
  if (!spec) throw new Error(`no service ${name} in services.json (there are ${SERVICES.join(', ')})`);
  return spec;
}
