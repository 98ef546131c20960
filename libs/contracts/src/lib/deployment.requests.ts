import { defineRequest } from '@mediamagic/pubsub';
import { z } from 'zod';
import { singleLine } from './text';

export const DEPLOYMENT_STATUSES = ['pending', 'provisioning', 'running', 'failed', 'deleted'] as const;

/** A deployment's current state, folded from its events. */
export const DeploymentView = z.object({
  id: z.uuid(),
  name: z.string(),
  model: z.string(),
  replicas: z.int(),
  status: z.enum(DEPLOYMENT_STATUSES),
  ownerId: z.uuid(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  /** Why provisioning failed, once it has. */
  reason: z.string().optional(),
});

/** One entry of the event store, as the history endpoint shows it. */
export const DeploymentEventView = z.object({
  version: z.int().positive(),
  type: z.string(),
  time: z.iso.datetime(),
  data: z.record(z.string(), z.unknown()),
});

/** The fields a client may send; shared by the gateway's body and the service's request. */
export const NewDeployment = z.strictObject({
  name: singleLine(100),
  model: singleLine(200),
  replicas: z.int().min(1).max(20).default(1),
});

/** Only the owner sees a deployment: every query is scoped by the caller, and another's is a 404. */
const owned = z.strictObject({ ownerId: z.uuid(), id: z.uuid() });

export const CreateDeployment = defineRequest({
  subject: 'deployments.create',
  description: 'Appends deployment.created (status pending) and starts the rollout.',
  request: NewDeployment.extend({ owner: z.strictObject({ id: z.uuid(), email: z.email() }) }),
  response: DeploymentView,
});

export const ListDeployments = defineRequest({
  subject: 'deployments.list',
  idempotent: true,
  description: "The caller's deployments, newest first, a page at a time.",
  request: z.strictObject({ ownerId: z.uuid(), limit: z.int().min(1).max(100).default(20), cursor: z.string().max(200).optional() }),
  response: z.object({ items: z.array(DeploymentView), nextCursor: z.string().nullable() }),
});

export const GetDeployment = defineRequest({
  subject: 'deployments.get',
  idempotent: true,
  description: 'One deployment with its current status; 404 when unknown or not the caller’s.',
  request: owned,
  response: DeploymentView,
});

export const GetDeploymentEvents = defineRequest({
  subject: 'deployments.events',
  idempotent: true,
  description: "A deployment's event history, oldest first; 404 when unknown or not the caller’s.",
  request: owned,
  response: z.object({ items: z.array(DeploymentEventView) }),
});

export const DeleteDeployment = defineRequest({
  subject: 'deployments.delete',
  idempotent: true,
  description: 'Appends deployment.deleted; deleting a deleted deployment changes nothing.',
  request: owned,
  response: DeploymentView,
});
