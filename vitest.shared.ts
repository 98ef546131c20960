import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
const { compilerOptions } = JSON.parse(readFileSync(resolve(root, 'tsconfig.base.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};

/**
 * One test setup for every project: the tsconfig path aliases, and SWC instead of esbuild so that
 * Nest's dependency injection gets the decorator metadata it reads.
 */
export function projectConfig(name: string) {
  return defineConfig({
    plugins: [swc.vite({ module: { type: 'es6' } })],
    resolve: {
      // Exact matches: `@mediamagic/pubsub` must not also catch `@mediamagic/pubsub/nats`.
      alias: Object.entries(compilerOptions.paths).map(([alias, [target]]) => ({
        find: new RegExp(`^${alias.replaceAll('/', '\\/')}$`),
        replacement: resolve(root, target),
      })),
    },
    test: {
      name,
      globals: true,
      environment: 'node',
      include: ['src/**/*.spec.ts'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // The JSON reports are summed by scripts/test-summary.mjs into the one line CI reads.
      reporters: ['default', ['json', { outputFile: resolve(root, 'tmp/test-results', `${name}.json`) }]],
    },
  });
}
