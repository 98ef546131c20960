import { existsSync, readFileSync, rmSync } from 'node:fs';
import { SUMMARY_FILE } from './effects';

/** Vitest global setup: a fresh summary file per run, printed whole at the end. */
export default function setup(): () => void {
  rmSync(SUMMARY_FILE, { force: true });
  return () => {
    if (existsSync(SUMMARY_FILE)) process.stdout.write(`\nfault-injection summary (${SUMMARY_FILE}):\n${readFileSync(SUMMARY_FILE, 'utf8')}\n`);
  };
}
