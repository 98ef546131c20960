import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../../..');

/** One dead letter as `npm run dlq -- list --json` prints it. */
export interface DeadLetterEntry {
  id: string;
  time: string;
  group: string;
  subject: string;
  attempts: number;
  reason: string;
  eventId: string;
}

/** Runs the dead-letter tool as an operator would, from the repository root, against the platform's NATS. */
export function dlq(natsUrl: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'npm',
      ['run', '--silent', 'dlq', '--', ...args],
      { cwd: ROOT, env: { ...process.env, NATS_ADDR: natsUrl }, timeout: 60_000 },
      (error, stdout, stderr) => done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export async function listDeadLetters(natsUrl: string): Promise<DeadLetterEntry[]> {
  const { code, stdout, stderr } = await dlq(natsUrl, 'list', '--json');
  if (code !== 0) throw new Error(`dlq list --json exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  return JSON.parse(stdout) as DeadLetterEntry[];
}
