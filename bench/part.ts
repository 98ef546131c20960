import type { Result } from './report';

/** What each part hands back to main: its rows, and a paragraph on exactly how it measured them. */
export interface PartOutcome {
  results: Result[];
  method: string;
}

/** Both sides, the first one first: alternated per round so drift does not favour one side. */
export function order<T>(firstFirst: boolean, first: T, second: T): [T, T] {
  return firstFirst ? [first, second] : [second, first];
}

export function log(line: string): void {
  console.log(`[bench] ${line}`);
}
