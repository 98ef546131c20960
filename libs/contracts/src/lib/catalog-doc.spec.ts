import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { catalogMarkdown, REGENERATE_DOCS } from './catalog-doc';

// libs/contracts/src/lib -> the repository root.
const DOC = resolve(import.meta.dirname, '../../../../docs/events.md');

describe('docs/events.md', () => {
  it('is what the contracts say', () => {
    const expected = catalogMarkdown();
    if (process.env['UPDATE_DOCS'] === '1') {
      writeFileSync(DOC, expected);
      return;
    }
    let actual: string | undefined;
    try {
      actual = readFileSync(DOC, 'utf8');
    } catch {
      // A missing file is out of date too: the message below says how to write it.
    }
    // A plain comparison, not toEqual: the diff of a whole document would bury the one line that says what to do.
    if (actual !== expected) {
      throw new Error(`docs/events.md is out of date with the contracts: run \`${REGENERATE_DOCS}\``);
    }
  });
});
