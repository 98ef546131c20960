import {
  DeploymentCreated,
  DeploymentDeleted,
  DeploymentFailed,
  DeploymentProgress,
  DeploymentProvisioningStarted,
  DeploymentSucceeded,
} from '@mediamagic/contracts';
import { InvalidError } from '@mediamagic/errors';
import type { EventDefinition } from '@mediamagic/pubsub';

/** The stream whose sequence is the live stream's cursor (libs/contracts DOMAIN_STREAMS). */
export const DEPLOYMENT_STREAM = 'DEPLOYMENT';
/** The header deployment-service puts the event's version in: its number in the deployment's history. */
export const VERSION_HEADER = 'deployment-version';

/** One event as the live stream sends it: to whom, its place in the stream (at-least-once only) and its SSE frame. */
export interface LiveEvent {
  ownerId: string;
  /** The DEPLOYMENT stream sequence; none for the at-most-once progress reports. */
  seq?: number;
  frame: string;
}

/** A message as both the ordered consumer and the core subscription give it. */
export interface RawEvent {
  subject: string;
  data: Uint8Array;
  headers?: { get(name: string): string };
  seq?: number;
}

type Status = 'pending' | 'provisioning' | 'running' | 'failed' | 'deleted';

/** Each stored deployment event: the status it leaves the deployment in, and its time among the payload's fields. */
const STORED: ReadonlyMap<string, { definition: EventDefinition; status: Status; time: string }> = new Map([
  [DeploymentCreated.subject, { definition: DeploymentCreated, status: 'pending', time: 'createdAt' }],
  [DeploymentProvisioningStarted.subject, { definition: DeploymentProvisioningStarted, status: 'provisioning', time: 'startedAt' }],
  [DeploymentSucceeded.subject, { definition: DeploymentSucceeded, status: 'running', time: 'succeededAt' }],
  [DeploymentFailed.subject, { definition: DeploymentFailed, status: 'failed', time: 'failedAt' }],
  [DeploymentDeleted.subject, { definition: DeploymentDeleted, status: 'deleted', time: 'deletedAt' }],
]);

/**
 * Fields of a payload the owner may see on the stream. Not the owner's id or address: the stream is theirs already,
 * and a notification carries no more than a client needs to decide whether to call GET /deployments/:id.
 */
const SHOWN = ['name', 'model', 'replicas', 'reason'] as const;

/**
 * The live form of a message from NATS, or an Error saying why it cannot be one (a payload that breaks its
 * contract, a subject the stream does not carry): such a message is skipped, never sent half-understood.
 */
export function liveEventOf(message: RawEvent): LiveEvent | Error {
  if (message.subject === DeploymentProgress.subject) {
    const parsed = parse(DeploymentProgress, message.data);
    if (parsed instanceof Error) return parsed;
    const { deploymentId, ownerId, progress } = parsed as { deploymentId: string; ownerId: string; progress: number };
    return { ownerId, frame: frameOf({ event: message.subject, data: { deploymentId, progress } }) };
  }
  const stored = STORED.get(message.subject);
  if (!stored) return new Error(`${message.subject} is not a deployment event`);
  if (message.seq === undefined) return new Error(`${message.subject} arrived without its stream sequence`);
  const payload = parse(stored.definition, message.data);
  if (payload instanceof Error) return payload;
  const versionHeader = message.headers?.get(VERSION_HEADER) ?? '';
  const data: Record<string, unknown> = {
    deploymentId: payload['deploymentId'],
    type: message.subject,
    // Absent rather than wrong when a publisher did not say it.
    version: /^[1-9]\d{0,15}$/.test(versionHeader) ? Number(versionHeader) : undefined,
    status: stored.status,
    time: payload[stored.time],
  };
  for (const field of SHOWN) if (payload[field] !== undefined) data[field] = payload[field];
  return { ownerId: payload['ownerId'] as string, seq: message.seq, frame: frameOf({ id: cursorOf(message.seq), event: message.subject, data }) };
}

function parse(definition: EventDefinition, data: Uint8Array): Record<string, unknown> | Error {
  try {
    const value: unknown = definition.codec ? definition.codec.decode(data) : JSON.parse(new TextDecoder().decode(data));
    const result = definition.schema.safeParse(value);
    if (result.success) return result.data as Record<string, unknown>;
    return new Error(
      `${definition.subject} breaks its contract: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  } catch (error) {
    return new Error(`${definition.subject} is not readable: ${(error as Error).message}`);
  }
}

/** A frame of text/event-stream. JSON has no raw line break, so the data fits on one `data:` line. */
export function frameOf(frame: { id?: string; event: string; data: unknown }): string {
  return `${frame.id === undefined ? '' : `id: ${frame.id}\n`}event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`;
}

/** A comment line: keeps idle proxies and clients from closing the connection, and carries nothing. */
export const KEEP_ALIVE = ': keep-alive\n\n';

// The cursor is opaque to clients: the stream sequence, tagged so that anything else is recognised as foreign.
const CURSOR_TAG = 'd';

export function cursorOf(seq: number): string {
  return Buffer.from(`${CURSOR_TAG}${seq}`).toString('base64url');
}

/** The stream sequence a Last-Event-ID names; a 400 (InvalidError) when it is not a cursor this stream gave. */
export function seqOfCursor(cursor: string): number {
  const decoded = /^[A-Za-z0-9_-]{1,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const match = new RegExp(`^${CURSOR_TAG}([1-9]\\d{0,15})$`).exec(decoded);
  const seq = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(seq) || cursorOf(seq) !== cursor) throw new InvalidError('Last-Event-ID is not an id this stream sent');
  return seq;
}
