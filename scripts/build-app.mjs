// Bundles one Nest app into dist/apps/<name>/main.js (and its chunks beside it), runnable with plain `node`.
//
// esbuild bundles the app with the workspace libs (resolved through the tsconfig paths) and keeps
// npm packages external, so `node_modules` is what the app runs with. esbuild cannot emit the
// decorator metadata Nest's dependency injection reads, so SWC compiles each TypeScript file first.
//
// Split into chunks: main.ts starts tracing, then imports the application (`await import('./start')`). In one
// file the application's `import`s of pg, http and Nest would all load before main.ts's first line runs, before
// the OpenTelemetry instrumentations could patch them; as a chunk of its own they load when it is imported.
import { readFile } from 'node:fs/promises';
import { transform } from '@swc/core';
import { build } from 'esbuild';

const name = process.argv[2];
if (!name) {
  console.error('usage: node scripts/build-app.mjs <app>');
  process.exit(2);
}

const decoratorsWithMetadata = {
  name: 'swc-decorator-metadata',
  setup(builder) {
    builder.onLoad({ filter: /\.ts$/ }, async ({ path }) => {
      const { code, map } = await transform(await readFile(path, 'utf8'), {
        filename: path,
        sourceMaps: true,
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
      });
      const inlineMap = `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}`;
      return { contents: code + inlineMap, loader: 'js' };
    });
  },
};

await build({
  entryPoints: [`apps/${name}/src/main.ts`],
  outdir: `dist/apps/${name}`,
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  tsconfig: `apps/${name}/tsconfig.app.json`,
  sourcemap: true,
  keepNames: true,
  logLevel: 'warning',
  plugins: [decoratorsWithMetadata],
});
