import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { waitFor, type Email, type SmtpServer } from '@mediamagic/testing';

export const SUMMARY_FILE = resolve(import.meta.dirname, '../../../../tmp/faults-summary.txt');

/** An email a user should get: to whom, about what. */
export interface ExpectedEmail {
  to: string;
  subject: string;
}

/** What arrived in the inbox against what was expected, as a user reading it would judge. */
export interface InboxTally {
  expected: number;
  /** Expected emails that arrived (at least once). */
  delivered: number;
  /** Expected emails that never arrived. */
  lost: number;
  /** Extra copies with a different Message-ID: the platform acted twice on one fact. */
  duplicated: number;
  /** Extra copies with the same Message-ID: a resend after a crash, recognisable and collapsible by mail clients. */
  resent: number;
  /** A few of the lost ones, to say what is missing. */
  missing: ExpectedEmail[];
  /** Messages that match no expectation (one per Message-ID), e.g. the scenario's setup emails. */
  others: Email[];
}

const keyOf = (to: string, subject: string) => `${to.toLowerCase()}\n${subject}`;

export function tallyInbox(smtp: SmtpServer, expected: readonly ExpectedEmail[]): InboxTally {
  const arrived = new Map<string, Email[]>();
  const others = new Map<string, Email>();
  const wanted = new Set(expected.map((e) => keyOf(e.to, e.subject)));
  for (const email of smtp.messages) {
    for (const to of email.to ?? []) {
      const key = keyOf(to.address ?? '', email.subject ?? '');
      if (wanted.has(key)) arrived.set(key, [...(arrived.get(key) ?? []), email]);
      else others.set(email.messageId ?? `${key}\n${others.size}`, email);
    }
  }
  const tally: InboxTally = { expected: expected.length, delivered: 0, lost: 0, duplicated: 0, resent: 0, missing: [], others: [...others.values()] };
  for (const email of expected) {
    const copies = arrived.get(keyOf(email.to, email.subject)) ?? [];
    const ids = new Set(copies.map((copy) => copy.messageId));
    if (copies.length === 0) {
      tally.lost++;
      if (tally.missing.length < 5) tally.missing.push(email);
      continue;
    }
    tally.delivered++;
    tally.duplicated += ids.size - 1;
    tally.resent += copies.length - ids.size;
  }
  return tally;
}

/** Analytics' counts against the exact numbers expected, per event name. */
export interface CountTally {
  expected: number;
  counted: number;
  lost: number;
  duplicated: number;
  counts: Record<string, number>;
}

export function tallyCounts(counts: Record<string, number>, expected: Record<string, number>): CountTally {
  const tally: CountTally = { expected: 0, counted: 0, lost: 0, duplicated: 0, counts };
  for (const [name, want] of Object.entries(expected)) {
    const got = counts[name] ?? 0;
    tally.expected += want;
    tally.counted += Math.min(got, want);
    tally.lost += Math.max(0, want - got);
    tally.duplicated += Math.max(0, got - want);
  }
  return tally;
}

/** Waits for what should happen; false instead of an error, so that the scenario still reports what it saw. */
export function settle(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  return waitFor(condition, { timeoutMs, intervalMs: 250 }).then(
    () => true,
    () => false,
  );
}

export interface Outcome {
  published: number;
  inbox: InboxTally;
  analytics: CountTally;
  /** Anything else worth a word on the line, e.g. `retries 12`. */
  notes?: string[];
}

/**
 * The scenario's one line, e.g. `fault 1 kill -9 email-service: published 400, delivered 400, lost 0,
 * duplicated 0, ...`: on stdout (vitest shows it) and appended to tmp/faults-summary.txt.
 * Lost and duplicated add up emails and analytics counts.
 */
export function report(title: string, startedAt: number, outcome: Outcome): { lost: number; duplicated: number; line: string } {
  const { inbox, analytics } = outcome;
  const lost = inbox.lost + analytics.lost;
  const duplicated = inbox.duplicated + analytics.duplicated;
  const parts = [
    `published ${outcome.published}`,
    `delivered ${inbox.delivered}`,
    `lost ${lost}`,
    `duplicated ${duplicated}`,
    `resent (same Message-ID) ${inbox.resent}`,
    `analytics counted ${analytics.counted}/${analytics.expected}`,
    ...(outcome.notes ?? []),
    `${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
  ];
  const line = `${title}: ${parts.join(', ')}`;
  printLine(line);
  return { lost, duplicated, line };
}

/** A scenario's line: on stdout (vitest shows it) and appended to tmp/faults-summary.txt. */
export function printLine(line: string): void {
  process.stdout.write(`\n${line}\n`);
  mkdirSync(dirname(SUMMARY_FILE), { recursive: true });
  appendFileSync(SUMMARY_FILE, `${line}\n`);
}

/** Why a scenario's numbers are off, for the assertion message: what is missing and where to look. */
export function explain(outcome: Outcome, logDir: string): string {
  const missing = outcome.inbox.missing.map((e) => `  ${e.to}: ${e.subject}`).join('\n');
  return [`logs in ${logDir}`, missing && `missing emails (first few):\n${missing}`, `analytics counts: ${JSON.stringify(outcome.analytics.counts)}`]
    .filter(Boolean)
    .join('\n');
}

/** The subjects of the emails the platform sends (see apps/email-service/src/templates.ts). */
export const SUBJECT = {
  verify: 'Verify your email address for Media Magic',
  created: (name: string) => `Your deployment ${name} is being provisioned`,
  running: (name: string) => `Your deployment ${name} is running`,
};
