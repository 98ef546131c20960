import { Inject, Injectable } from '@nestjs/common';
import { isUniqueViolation, type Queryable } from '@mediamagic/database';
import { ConflictError, NotFoundError } from '@mediamagic/errors';
import type { MessageContext } from '@mediamagic/pubsub';
import { createdEventOf, type DeploymentEvent, type StoredEvent } from './deployment-event';
import { DeploymentEventsTable, type ListPosition } from './deployment-events.table';

/** Races lost to concurrent writers before an append gives up with a conflict. */
const MAX_LOST_RACES = 3;

/** Given the history so far, the event to append, or null when there is nothing to do. May throw (e.g. NotFoundError). */
export type Decision = (history: readonly StoredEvent[]) => DeploymentEvent | null;

export interface Appended {
  /** The history including the appended event. */
  history: StoredEvent[];
  /** Null when the decision was to do nothing. */
  appended: StoredEvent | null;
}

export interface DeploymentToCreate {
  deploymentId: string;
  ownerId: string;
  ownerEmail: string;
  name: string;
  model: string;
  replicas: number;
}

/**
 * The append-only store of deployment events, with optimistic concurrency per deployment. Every appended
 * event is published by the relay (deployment-event-outbox.ts), so a deployment never changes without its
 * event going out, whatever crashes when.
 */
@Injectable()
export class DeploymentEventStore {
  constructor(@Inject(DeploymentEventsTable) private readonly table: DeploymentEventsTable) {}

  /** The deployment's events, oldest first; empty when it does not exist. */
  history(deploymentId: string): Promise<StoredEvent[]> {
    return this.table.history(deploymentId);
  }

  /** The history of a deployment of `ownerId`; NotFoundError otherwise, with one message whether it exists or not. */
  async owned(deploymentId: string, ownerId: string): Promise<StoredEvent[]> {
    return ownedBy(await this.history(deploymentId), deploymentId, ownerId);
  }

  /**
   * Appends version 1; runs in the caller's transaction, so it commits with the idempotency key.
   * `context` is the creating request's: its event, and the rollout's after it, are published with it.
   */
  async create(tx: Queryable, deployment: DeploymentToCreate, context: MessageContext): Promise<StoredEvent> {
    const { deploymentId, ownerId, ownerEmail, name, model, replicas } = deployment;
    return this.table.insert({ type: 'deployment.created', data: { name, model, replicas, ownerEmail } }, { deploymentId, ownerId, version: 1 }, context, tx);
  }

  /**
   * Reads the history, asks `decide` and appends its event as the next version. When a concurrent
   * writer took that version first, reads and decides again on the newer history: the decision may
   * well change (a deleted deployment is not provisioned). `history`, when the caller has just read or
   * written it, saves reading it again: the version check still catches anything newer. `context` is
   * what caused the append (a request, or the creation the rollout follows); the event is published with it.
   */
  async append(deploymentId: string, context: MessageContext, decide: Decision, history?: readonly StoredEvent[]): Promise<Appended> {
    let current = history ?? (await this.history(deploymentId));
    for (let race = 1; ; race++) {
      const event = decide(current);
      if (!event) return { history: [...current], appended: null };
      const created = createdEventOf(current);
      try {
        const appended = await this.table.insert(event, { deploymentId, ownerId: created.ownerId, version: current.length + 1 }, context);
        return { history: [...current, appended], appended };
      } catch (error) {
        if (!isUniqueViolation(error, 'deployment_events_pkey')) throw error;
        if (race === MAX_LOST_RACES) throw new ConflictError(`deployment ${deploymentId} is being changed by someone else, try again`);
      }
      current = await this.history(deploymentId);
    }
  }

  /** Histories of an owner's deployments, newest first, starting after `after`. */
  listOwned(ownerId: string, limit: number, after?: ListPosition): Promise<StoredEvent[][]> {
    return this.table.listOwned(ownerId, limit, after);
  }

  /** Deployments whose rollout has not ended: no succeeded, failed or deleted event yet. */
  unfinished(): Promise<string[]> {
    return this.table.unfinished();
  }
}

/** `history` when it belongs to `ownerId`; a NotFoundError that does not tell an unknown id from another owner's. */
export function ownedBy<H extends readonly StoredEvent[]>(history: H, deploymentId: string, ownerId: string): H {
  if (history[0]?.ownerId !== ownerId) throw new NotFoundError(`deployment ${deploymentId} not found`);
  return history;
}
