import { settle, SUBJECT, tallyCounts, tallyInbox, type CountTally, type ExpectedEmail, type InboxTally } from './effects';
import type { Scenario } from './scenario';

/** `d-001`, `d-002`, …: names that sort in the order the deployments are created. */
export function deploymentNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `d-${String(i + 1).padStart(3, '0')}`);
}

/** The two emails an owner gets for each deployment: it is being provisioned, then it is running. */
export function notificationsOf(owner: string, names: readonly string[]): ExpectedEmail[] {
  return names.flatMap((name) => [
    { to: owner, subject: SUBJECT.created(name) },
    { to: owner, subject: SUBJECT.running(name) },
  ]);
}

export interface Expectations {
  /** The emails users must get, each once. */
  expected: readonly ExpectedEmail[];
  /** Analytics' exact count per event name. */
  counts: Record<string, number>;
  /** The owner's deployments, which must all end up running. */
  token: string;
  /** How long to wait for the emails (default 2 min) and then for the counts (default 30 s). */
  emailsMs?: number;
  countsMs?: number;
  /** True when waiting is no use any more (a process died): the outcome is read at once. */
  hopeless?: () => boolean;
}

/**
 * After the fault: waits until every expected email arrived and analytics counted every event (or the time is up),
 * then reads what a user sees: the inbox and the counts against the truth, and how many of the owner's deployments run.
 */
export async function settledOutcome(
  { platform, client }: Pick<Scenario, 'platform' | 'client'>,
  { expected, counts, token, emailsMs = 120_000, countsMs = 30_000, hopeless = () => false }: Expectations,
): Promise<{ published: number; inbox: InboxTally; analytics: CountTally; running: number }> {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  await settle(() => hopeless() || tallyInbox(platform.smtp, expected).delivered === expected.length, emailsMs);
  await settle(async () => hopeless() || tallyCounts(await client.analytics(), counts).counted === total, countsMs);
  return {
    published: expected.length,
    inbox: tallyInbox(platform.smtp, expected),
    analytics: tallyCounts(await client.analytics().catch(() => ({})), counts),
    running: (await client.deployments(token).catch(() => [])).filter((d) => d.status === 'running').length,
  };
}
