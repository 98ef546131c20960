/**
 * `npm run dlq -- list [--json]`: the dead letters and why each one failed.
 * `npm run dlq -- replay <id> [--data '<json>']`: sends one back to the group that failed it, after a fix
 *   of that group's code, or with `--data` as the fixed body when the event itself was wrong.
 * `npm run dlq -- replay --all`: sends every one back.
 * Connects to NATS_ADDR (with NATS_USER and NATS_PASSWORD when set).
 */
import { parseArgs } from 'node:util';
import { DeadLetterQueue, type StoredDeadLetter } from '@mediamagic/pubsub/nats';

const USAGE = `usage: npm run dlq -- list [--json] | replay <id> [--data '<json>'] | replay --all`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { json: { type: 'boolean' }, all: { type: 'boolean' }, data: { type: 'string' } },
  });
  const [command, id] = positionals;
  if (command !== 'list' && command !== 'replay') throw new UsageError(USAGE);
  const data = values.data === undefined ? undefined : jsonBody(values.data);
  if (command === 'replay' && !values.all && !/^\d+$/.test(id ?? '')) throw new UsageError(`replay needs a dead letter id (a number) or --all\n${USAGE}`);
  if (values.all && data) throw new UsageError('--data fixes one event: give its id, not --all');

  const env = process.env;
  const dlq = await DeadLetterQueue.connect({
    servers: env['NATS_ADDR'] || undefined,
    user: env['NATS_USER'] || undefined,
    pass: env['NATS_PASSWORD'] || undefined,
    logger: quiet,
  });
  try {
    if (command === 'list') {
      const letters = await dlq.list();
      if (values.json) console.log(JSON.stringify(letters.map(summary), null, 2));
      else print(letters);
    } else if (values.all) {
      const letters = await dlq.replayAll();
      console.log(`replayed ${letters.length} dead letter(s)`);
    } else {
      const letter = await dlq.replay(Number(id), { data });
      console.log(`replayed ${letter.id}: ${letter.subject} ${letter.eventId} to group ${letter.group}${data ? ' with the fixed body' : ''}`);
    }
  } finally {
    await dlq.close();
  }
}

class UsageError extends Error {}

const quiet = { log: () => undefined, warn: () => undefined, error: (message: string) => console.error(message) };

function jsonBody(text: string): Uint8Array {
  try {
    JSON.parse(text);
  } catch {
    throw new UsageError('--data must be JSON');
  }
  return new TextEncoder().encode(text);
}

function summary({ id, time, group, subject, attempts, reason, eventId }: StoredDeadLetter) {
  return { id, time, group, subject, attempts, reason, eventId };
}

function print(letters: StoredDeadLetter[]): void {
  if (letters.length === 0) return console.log('no dead letters');
  for (const letter of letters) {
    console.log(`${letter.id}\t${letter.time}\t${letter.group}\t${letter.subject}\t${letter.attempts} attempt(s)\t${letter.eventId}\t${letter.reason}`);
  }
}

main().catch((error: Error) => {
  console.error(error instanceof UsageError ? error.message : `dlq: ${error.message}`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
