import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019';
import { loadConfig } from '@mediamagic/runtime';
import { serviceSpec } from '@mediamagic/testing';
import { composeModel, readComposeFile } from './support/compose';
import { APP_PORTS, APPS, appConfigSchema, DATABASES, initScriptDatabases, natsUsers, readRepoFile, ROOT, type App } from './support/repo';

// Vendored from compose-spec/compose-spec, schema/compose-spec.json at commit
// b2835e8acc1e42e7aecbc27a9bc4a1fc66ef21ba (see docker/README.md).
const COMPOSE_SCHEMA = JSON.parse(readRepoFile('docker/compose-spec.json')) as object;

/**
 * Variables an app reads that compose deliberately leaves unset (its default is right there), each with
 * why. Everything else an app's config schema declares must be set.
 */
const DELIBERATELY_UNSET: Partial<Record<App, Record<string, string>>> = {};

const compose = composeModel();
const services = compose.services;

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    // The spec still names its parts with draft-04's `id`: an annotation here, not a schema id.
    ajv.removeKeyword('id').addKeyword({ keyword: 'id', schemaType: 'string' });
    // The spec's own format for `expose`: a port or a range, with an optional protocol.
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
    const validate = ajv.compile(COMPOSE_SCHEMA);
    expect(validate({ services: { api: { image: 'api', helthcheck: {} } } }), 'a misspelt key is refused').toBe(false);
    expect(validate(readComposeFile()), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('runs NATS with JetStream and monitoring, PostgreSQL, Mailpit, the five services, and Jaeger, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['mailpit', 'nats', 'postgres', ...APPS, 'jaeger', 'prometheus', 'grafana'].sort());
    expect(readRepoFile('docker/nats/nats.conf')).toMatch(/^jetstream\s*\{/m);
    expect(readRepoFile('docker/nats/nats.conf')).toMatch(/^http_port: 8222$/m);
    expect(services['nats'].healthcheck?.test.join(' ')).toContain('http://127.0.0.1:8222/healthz?js-enabled-only=true');
  });

  it.each(APPS)('builds %s from the one Dockerfile, with the repository as the context', (app) => {
    // docker/Dockerfile with the app's name and port: dockerfiles.spec.ts checks the image they make.
    expect(services[app].build).toMatchObject({ context: '.', dockerfile: 'docker/Dockerfile', args: { APP: app } });
    expect(existsSync(resolve(ROOT, 'docker/Dockerfile'))).toBe(true);
    expect(services[app].image).toBe(`mediamagic/${app}:dev`);
  });

  it.each(APPS)('sets every variable %s reads, to a value it accepts', async (app) => {
    const schema = await appConfigSchema(app);
    const environment = services[app].environment ?? {};
    const unset = Object.keys(schema.shape).filter((name) => !(name in environment) && !(name in (DELIBERATELY_UNSET[app] ?? {})));
    expect(unset, `variables of ${app} not set in docker-compose.yml`).toEqual([]);
    expect(() => loadConfig(schema, environment)).not.toThrow();
  });

  it.each(APPS)('gives %s its own NATS user, with the password the server expects', (app) => {
    const environment = services[app].environment!;
    const passwordVariable = natsUsers(readRepoFile('docker/nats/authorization.conf')).get(app);
    expect(environment['NATS_ADDR']).toBe('nats://nats:4222');
    expect(environment['NATS_USER']).toBe(app);
    expect(passwordVariable, `no NATS user ${app} in docker/nats/authorization.conf`).toBeDefined();
    expect(environment['NATS_PASSWORD']).toBe(services['nats'].environment![passwordVariable!]);
  });

  it('gives NATS every password its authorization refers to, and mounts it', () => {
    for (const variable of natsUsers(readRepoFile('docker/nats/authorization.conf')).values()) {
      expect(services['nats'].environment?.[variable], variable).toBeTruthy();
    }
    expect(services['nats'].volumes).toContain('./docker/nats:/etc/nats:ro');
    expect(services['nats'].command).toEqual(['--config', '/etc/nats/nats.conf']);
  });

  it.each(Object.entries(DATABASES))('gives %s its own database, created by the init script with its password', (app, database) => {
    const url = new URL(services[app].environment!['DATABASE_URL']);
    const created = initScriptDatabases(readRepoFile('docker/postgres/init-databases.sh')).find((entry) => entry.database === database);
    expect(url.pathname).toBe(`/${database}`);
    expect(created, `init-databases.sh creates ${database}`).toBeDefined();
    expect(decodeURIComponent(url.username)).toBe(created!.user);
    expect(decodeURIComponent(url.password)).toBe(services['postgres'].environment![created!.passwordVariable]);
    expect(services['postgres'].volumes).toContain('./docker/postgres:/docker-entrypoint-initdb.d:ro');
  });

  it('sends email to Mailpit', () => {
    expect(services['email-service'].environment?.['SMTP_URL']).toBe('smtp://mailpit:1025');
  });

  it('points every URL at a service and a port it exposes', () => {
    for (const app of APPS) {
      for (const name of ['NATS_ADDR', 'DATABASE_URL', 'SMTP_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
        const value = services[app].environment?.[name];
        if (value === undefined) continue;
        const url = new URL(value);
        expect(services[url.hostname], `${app} ${name} names service ${url.hostname}`).toBeDefined();
        expect(services[url.hostname].expose, `${app} ${name}: ${url.hostname} exposes ${url.port}`).toContain(url.port);
      }
    }
  });

  it.each(APPS)('serves the health endpoints of %s on the port it exposes', (app) => {
    const { variable, port } = APP_PORTS[app];
    expect(services[app].environment?.[variable]).toBe(String(port));
    expect(services[app].expose).toEqual([String(port)]);
  });

  it('starts each service once what it needs is healthy', () => {
    for (const app of APPS) {
      const dependsOn = services[app].depends_on ?? {};
      const { env, calls } = serviceSpec(app);
      const needs = ['nats', ...(DATABASES[app] ? ['postgres'] : []), ...(env.includes('SMTP_URL') ? ['mailpit'] : []), ...calls];
      expect(Object.keys(dependsOn).sort(), app).toEqual(needs.sort());
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        expect(condition, `${app} waits for ${dependency}`).toBe('service_healthy');
        // Something must report the dependency healthy: its compose healthcheck, or its image's HEALTHCHECK.
        const checked = services[dependency].healthcheck !== undefined || readRepoFile(services[dependency].build!.dockerfile).includes('HEALTHCHECK');
        expect(checked, `${dependency} has a healthcheck`).toBe(true);
      }
    }
  });

  it('publishes only the gateway beyond this machine, on port 3000', () => {
    expect(services['gateway'].ports).toEqual(['3000:3000']);
    for (const [name, service] of Object.entries(services)) {
      if (name === 'gateway') continue;
      for (const port of service.ports ?? []) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('keeps the data of NATS and PostgreSQL in named volumes', () => {
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['nats-data', 'postgres-data']);
    expect(services['nats'].volumes).toContain('nats-data:/data');
    expect(services['postgres'].volumes).toContain('postgres-data:/var/lib/postgresql/data');
  });

  it('commits only development placeholders as passwords, overridable from a .env file', () => {
    const text = readRepoFile('docker-compose.yml');
    for (const [, variable, fallback] of text.matchAll(/\$\{(\w*(?:PASSWORD|SECRET)\w*):-([^}]*)\}/g)) {
      expect(fallback, variable).toMatch(/^dev-only-/);
    }
    const overridden = composeModel({ JWT_SECRET: 'a-secret-from-the-env-file-0123456789abcdef', EMAIL_SERVICE_NATS_PASSWORD: 'from-env' });
    expect(overridden.services['gateway'].environment?.['JWT_SECRET']).toBe('a-secret-from-the-env-file-0123456789abcdef');
    expect(overridden.services['email-service'].environment?.['NATS_PASSWORD']).toBe('from-env');
    expect(overridden.services['nats'].environment?.['EMAIL_SERVICE_NATS_PASSWORD']).toBe('from-env');
  });
});
