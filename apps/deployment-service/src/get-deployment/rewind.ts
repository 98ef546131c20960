import { NotFoundError } from '@mediamagic/errors';
import type { StoredEvent } from '../deployment/deployment-event';

/** Where to stop folding a history: right after event `version`, or at time `at`; nothing = now. */
export interface RewindTo {
  version?: number;
  at?: Date;
}

/**
 * The first events of `history` that made the deployment what it was at that point. A version the
 * deployment never reached, or a time before it existed, is a NotFoundError: there was nothing to see.
 */
export function rewind<E extends Pick<StoredEvent, 'version' | 'occurredAt' | 'deploymentId'>>(history: readonly E[], to: RewindTo): E[] {
  const id = history[0]?.deploymentId;
  if (to.version !== undefined) {
    if (to.version > history.length) throw new NotFoundError(`deployment ${id} has no event ${to.version}`);
    return history.slice(0, to.version);
  }
  if (to.at !== undefined) {
    const at = to.at.getTime();
    const until = history.filter((event) => event.occurredAt.getTime() <= at);
    if (until.length === 0) throw new NotFoundError(`deployment ${id} did not exist yet at ${to.at.toISOString()}`);
    return until;
  }
  return [...history];
}
