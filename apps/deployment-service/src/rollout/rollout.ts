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

/** Progress reports per provisioning: at each quarter of the delay (0.25, 0.5, 0.75); the end is the succeeded or failed event. */
export const PROGRESS_STEPS = 4;

/**
 * While a deployment provisions: how far it has come at `now` (the last quarter reached, or null before the
 * first), and when the rollout looks again (the next quarter, or the end). Null when it is not provisioning.
 */
export function provisioningProgress(history: readonly StoredEvent[], now: Date, delayMs: number): { progress: number | null; nextAt: Date } | null {
  const dueAt = provisioningDueAt(history, delayMs);
  if (!dueAt) return null;
  const startedAt = dueAt.getTime() - delayMs;
  const step = Math.floor(((now.getTime() - startedAt) * PROGRESS_STEPS) / delayMs);
  if (!(step < PROGRESS_STEPS)) return { progress: null, nextAt: dueAt };
  const nextAt = new Date(Math.min(dueAt.getTime(), startedAt + Math.ceil(((step + 1) * delayMs) / PROGRESS_STEPS)));
  return { progress: step > 0 ? step / PROGRESS_STEPS : null, nextAt };
}
