import { ESLint } from 'eslint';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../../..');

/** The architecture is enforced by lint; these prove the rule is on, with the tags it relies on. */
describe('module boundaries (lint)', () => {
  const eslint = new ESLint({ cwd: root });
  const rulesHit = async (file: string, code: string) =>
    (await eslint.lintText(code, { filePath: resolve(root, file) }))[0].messages.map((m) => `${m.ruleId}: ${m.message}`);

  it('keeps test helpers out of production code, and allows them in tests', async () => {
    const code = "import { waitFor } from '@mediamagic/testing';\nexport const wait = waitFor;\n";
    expect(await rulesHit('libs/pubsub/src/lib/uses-helpers.ts', code)).toEqual([expect.stringMatching(/enforce-module-boundaries/)]);
    expect(await rulesHit('libs/pubsub/src/lib/uses-helpers.spec.ts', code)).toEqual([]);
  });

  it("keeps the platform harness out of the apps and the operators' scripts, and lets the end-to-end suites and the bench use it", async () => {
    const code = "import { Platform } from '@mediamagic/testing';\nexport const harness = Platform;\n";
    for (const file of ['apps/gateway/src/uses-harness.ts', 'scripts/uses-harness.ts']) {
      expect(await rulesHit(file, code), file).toEqual([expect.stringMatching(/enforce-module-boundaries/)]);
    }
    for (const file of ['apps/platform-e2e/src/uses-harness.spec.ts', 'apps/platform-faults/src/support/uses-harness.ts', 'bench/uses-harness.part.ts']) {
      expect(await rulesHit(file, code), file).toEqual([]);
    }
  });

  it('keeps the domain catalog out of the generic libraries', async () => {
    const code = "import { CATALOG } from '@mediamagic/contracts';\nexport const all = CATALOG;\n";
    expect(await rulesHit('libs/pubsub/src/lib/uses-catalog.ts', code)).toEqual([expect.stringMatching(/enforce-module-boundaries/)]);
  });

  it('keeps every app from importing another app, and lets apps use the libraries', async () => {
    const imports = "import { SERVICE } from '../../../analytics-service/src/app.module';\nexport const other = SERVICE;\n";
    expect(await rulesHit('apps/gateway/src/uses-another-app.ts', imports)).toEqual([expect.stringMatching(/enforce-module-boundaries/)]);
    const libs =
      "import { RegisterUser } from '@mediamagic/contracts';\nimport { PubSub } from '@mediamagic/pubsub';\nexport const used = [RegisterUser, PubSub];\n";
    expect(await rulesHit('apps/gateway/src/uses-libs.ts', libs)).toEqual([]);
  });
});
