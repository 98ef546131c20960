import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { serviceSpec } from '@mediamagic/testing';
import { composeModel } from './support/compose';
import { APP_PORTS, APPS, readRepoFile, ROOT } from './support/repo';

interface Instruction {
  keyword: string;
  args: string;
}

/** A Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(path: string): Instruction[] {
  const text = readRepoFile(path).replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .map((line) => {
      const [keyword, ...args] = line.trim().split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: args.join(' ') };
    });
}

/** The stages: what each starts FROM, and its instructions. */
function stages(path: string): Array<{ from: string; name?: string; steps: Instruction[] }> {
  const result: Array<{ from: string; name?: string; steps: Instruction[] }> = [];
  for (const instruction of instructions(path)) {
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(' ');
      result.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, steps: [] });
    } else result.at(-1)?.steps.push(instruction);
  }
  return result;
}

function step(stage: { steps: Instruction[] }, keyword: string): string[] {
  return stage.steps.filter((instruction) => instruction.keyword === keyword).map(({ args }) => args);
}

/** Whether .dockerignore keeps `path` out of the build context (its patterns, without `!` exceptions). */
function dockerIgnored(path: string): boolean {
  const patterns = readRepoFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (patterns.some((pattern) => pattern.startsWith('!'))) throw new Error('.dockerignore exceptions (!) are not supported by this check');
  const segments = path.split('/');
  return patterns.some((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .split('**/')
        .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
        .join('(.*/)?')}$`,
    );
    // A pattern excludes a path and everything under it.
    return segments.some((_, index) => regex.test(segments.slice(0, index + 1).join('/')));
  });
}

describe('.dockerignore', () => {
  it('keeps dependencies, builds, local data and secrets out of the build context', () => {
    for (const path of [
      'node_modules',
      'apps/gateway/node_modules',
      'dist/apps/gateway/main.js',
      '.git/HEAD',
      '.data/db',
      'apps/user-service/.data',
      'tmp/x',
      '.env',
      'k8s/overlays/production/mediamagic-secrets.env',
      'docker/nats/authorization.conf',
    ]) {
      expect(dockerIgnored(path), path).toBe(true);
    }
  });

  it('sends what the build needs', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'nx.json',
      'tsconfig.base.json',
      'scripts/build-app.mjs',
      'libs/pubsub/src/index.ts',
      'apps/gateway/src/main.ts',
      'apps/gateway/project.json',
    ]) {
      expect(dockerIgnored(path), path).toBe(false);
    }
  });
});

const DOCKERFILE = 'docker/Dockerfile';

/** `${NAME}` and `$NAME` in a stage's instruction, as the builder expands them: the build argument given, else the ARG's default. */
function expand(stage: { steps: Instruction[] }, text: string, args: Record<string, string>): string {
  const defaults = Object.fromEntries(step(stage, 'ARG').map((arg) => [arg.split('=')[0], arg.split('=')[1] ?? '']));
  const values: Record<string, string> = { ...defaults, ...args };
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => values[(braced ?? bare)!] ?? '');
}

describe(DOCKERFILE, () => {
  const all = stages(DOCKERFILE);

  it('is the one Dockerfile: no app keeps its own', () => {
    expect(APPS.filter((app) => existsSync(resolve(ROOT, 'apps', app, 'Dockerfile')))).toEqual([]);
  });

  it('builds in stages from node:22-bookworm-slim: the app named by the APP argument with Nx, then the production dependencies only', () => {
    expect(all.map((stage) => stage.from)).toEqual(['node:22-bookworm-slim', 'node:22-bookworm-slim', 'node:22-bookworm-slim']);
    const build = all.find((stage) => stage.name === 'build')!;
    expect(step(build, 'ARG')).toEqual(['APP']);
    const [install, bundle] = step(build, 'RUN');
    expect(install).toBe('npm ci');
    // The shell refuses an empty APP with a message rather than asking Nx for a project named ":build".
    expect(bundle).toMatch(/^npx nx run "\$\{APP:\?[^}]+\}":build$/);
    const dependencies = all.find((stage) => stage.name === 'dependencies')!;
    expect(step(dependencies, 'RUN')[0]).toMatch(/^npm ci --omit=dev\b/);
  });

  it('copies only what exists: sources the context has, and earlier stages by name', () => {
    for (const stage of all) {
      for (const copy of step(stage, 'COPY')) {
        const words = copy.split(' ');
        const from = words.find((word) => word.startsWith('--from='))?.slice('--from='.length);
        const sources = words.filter((word) => !word.startsWith('--')).slice(0, -1);
        if (from) {
          expect(
            all.map((candidate) => candidate.name),
            copy,
          ).toContain(from);
          continue;
        }
        for (const source of sources.filter((source) => source !== '.')) {
          expect(existsSync(resolve(ROOT, source)), `${source} exists`).toBe(true);
          expect(dockerIgnored(source), `${source} is in the build context`).toBe(false);
        }
      }
    }
  });

  it('runs the bundle as the non-root "node" user, in production mode', () => {
    const runtime = all.at(-1)!;
    expect(step(runtime, 'USER')).toEqual(['node']);
    expect(step(runtime, 'ENV').join(' ')).toContain('NODE_ENV=production');
    expect(step(runtime, 'CMD')).toEqual(['["node", "--enable-source-maps", "dist/app/main.js"]']);
  });

  it('has a HEALTHCHECK asking /health/ready on the port the app serves', () => {
    const [healthcheck] = step(all.at(-1)!, 'HEALTHCHECK');
    expect(healthcheck).toContain("'/health/ready'");
    expect(healthcheck).toContain('process.env.HEALTH_PORT||process.env.PORT');
  });
});

describe.each(APPS)('the %s image (docker/Dockerfile with the arguments compose passes)', (app) => {
  const args = composeModel().services[app].build?.args ?? {};
  const runtime = stages(DOCKERFILE).at(-1)!;
  const expanded = (keyword: string) => step(runtime, keyword).map((text) => expand(runtime, text, args));
  const { variable, port } = APP_PORTS[app];

  it('is built with its name and its port from services.json, and nothing else', () => {
    expect(args).toEqual({ APP: app, [variable]: String(port) });
    const declared = step(runtime, 'ARG').map((arg) => arg.split('=')[0]);
    expect(declared).toEqual(expect.arrayContaining(Object.keys(args)));
  });

  it('serves on that port, the other port variable left empty (unset for the app)', () => {
    const env = expanded('ENV').join(' ').split(' ');
    expect(env).toContain(`${variable}=${port}`);
    expect(env).toContain(`${variable === 'PORT' ? 'HEALTH_PORT' : 'PORT'}=`);
    expect(expanded('EXPOSE')).toEqual([String(port)]);
  });

  it('holds the bundle Nx builds for it, where CMD runs it', () => {
    expect(expanded('COPY')).toContain(`--from=build /workspace/dist/apps/${app} ./dist/app`);
    // The bundle Nx writes is where the project says its build output goes, and what services.json runs.
    const project = JSON.parse(readRepoFile(`apps/${app}/project.json`)) as { targets: { build: { outputs: string[] } } };
    expect(project.targets.build.outputs).toEqual([`{workspaceRoot}/dist/apps/${app}`]);
    expect(serviceSpec(app).main).toBe(`dist/apps/${app}/main.js`);
  });
});
