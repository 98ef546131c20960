import type { ConsumerSpec, Effects } from '../transport';

/*
 * What a group's consumers say about themselves, in their description: nats-server 2.9 has no consumer
 * metadata, and the description is the one free-text field every server version keeps and lets us update.
 * The group's own durable consumer names its group and effects; a replay consumer the last stream
 * sequence it replays. See docs/decisions/0006-replay.md.
 */

/** A replay of a group reads from this consumer, beside the group's own one; the replay tool creates and deletes it. */
export function replayConsumerName(durable: string): string {
  return `${durable}_replay`;
}

export function groupDescription(spec: Pick<ConsumerSpec, 'group' | 'effects'>): string {
  return `group ${spec.group}, effects ${spec.effects}`;
}

/** The group and effects a durable consumer of this library names, or undefined for another consumer. */
export function groupOf(description: string | undefined): { group: string; effects: Effects } | undefined {
  const match = /^group (\S+), effects (internal|external)$/.exec(description ?? '');
  return match ? { group: match[1]!, effects: match[2] as Effects } : undefined;
}

export function replayDescription(group: string, until: number): string {
  return `replay of group ${group} until sequence ${until}`;
}

/** The last stream sequence a replay consumer replays; later messages are the group's own consumer's. */
export function replayUntilOf(description: string | undefined): number | undefined {
  const match = /^replay of group \S+ until sequence (\d+)$/.exec(description ?? '');
  return match ? Number(match[1]) : undefined;
}
