import type { DeploymentEvent, StoredEvent } from '../deployment/deployment-event';
import { fold } from '../deployment/fold';

/** The model name that simulates a provisioning failure. */
export const FAILING_MODEL = 'fail';

/** When the provisioning of a deployment in `history` ends, or null when it is not provisioning. */
export function provisioningDueAt(history: readonly StoredEvent[], delayMs: number): Date | null {
  if (fold(history).status !== 'provisioning') return null;
  const started = history.findLast((event) => event.type === 'deployment.provisioning-started')!;
  return new Date(started.occurredAt.getTime() + delayMs);
}

/** The rollout's next step at `now`: start provisioning, end it once due, or nothing (not due, ended or deleted). */
export function nextRolloutEvent(history: readonly StoredEvent[], now: Date, delayMs: number): DeploymentEvent | null {
  const deployment = fold(history);
  if (deployment.status === 'pending') return { type: 'deployment.provisioning-started', data: {} };
  const dueAt = provisioningDueAt(history, delayMs);
  if (!dueAt || now < dueAt) return null;
  if (deployment.model === FAILING_MODEL) {
    return { type: 'deployment.failed', data: { reason: `model "${FAILING_MODEL}" cannot be provisioned` } };
  }
  return { type: 'deployment.succeeded', data: {} };
}
