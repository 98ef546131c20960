import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadServices, SERVICE_SPECS } from '@mediamagic/testing';
import { APPS, appConfigSchema, readRepoFile, ROOT } from './support/repo';

interface Project {
  tags?: string[];
  implicitDependencies?: string[];
  targets: Record<string, { dependsOn?: Array<{ projects?: string[]; target: string }> }>;
}

const project = (root: string) => JSON.parse(readRepoFile(`${root}/project.json`)) as Project;

/** services.json is the one list of the services: these prove it says what the repository holds. */
describe('services.json', () => {
  const { commonEnv } = loadServices();

  it('lists every app of the platform: each Nx project tagged type:app under apps/', () => {
    const roots = readdirSync(resolve(ROOT, 'apps'), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    const apps = roots.map(({ name }) => name).filter((name) => project(`apps/${name}`).tags?.includes('type:app'));
    expect([...APPS].sort()).toEqual(apps.sort());
  });

  it.each(SERVICE_SPECS.map((spec) => [spec.name, spec] as const))('names every variable %s reads, as its config schema declares them', async (app, spec) => {
    const schema = await appConfigSchema(app);
    expect([...commonEnv, ...spec.env].sort()).toEqual(Object.keys(schema.shape).sort());
  });

  // Nx's project.json cannot read services.json: the projects that run the built apps name them too.
  it.each(['apps/platform-e2e', 'apps/platform-faults'])('is what %s builds and depends on', (root) => {
    const { implicitDependencies, targets } = project(root);
    const built = targets['test'].dependsOn?.find((dependency) => dependency.target === 'build')?.projects;
    expect([...(implicitDependencies ?? [])].sort()).toEqual([...APPS].sort());
    expect([...(built ?? [])].sort()).toEqual([...APPS].sort());
  });

  it('refuses a list that contradicts itself, saying why', () => {
    const path = resolve(ROOT, 'tmp/deploy-check/services.json');
    const broken = {
      commonEnv,
      services: [{ name: 'gateway', main: 'dist/apps/gateway/main.js', port: { variable: 'PORT', container: 3000 }, env: [], calls: ['nobody'] }],
    };
    writeJson(path, broken);
    expect(() => loadServices(path)).toThrow(/gateway: env lacks its port variable PORT[\s\S]*gateway: calls nobody/);
  });
});

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
}
