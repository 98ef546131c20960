import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  DEPLOYMENT_VERSION_HEADER,
  DeploymentCreated,
  DeploymentDeleted,
  DeploymentFailed,
  DeploymentProgress,
  DeploymentProvisioningStarted,
  DeploymentSucceeded,
} from '@mediamagic/contracts';
import { CE, PubSub, type Envelope } from '@mediamagic/pubsub';
import { MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';
import { AppModule, SERVICE } from '../app.module';
import { MIGRATIONS } from '../migrations';
import { RolloutSettings } from '../rollout/rollout.worker';

/** Test helpers (used by the specs only): the service over a memory broker, and a client that sees what it emits. */

export async function startDeploymentService(
  broker: MemoryBroker,
  { directory = 'memory://', provisioningDelayMs = 50 }: { directory?: string; provisioningDelayMs?: number } = {},
): Promise<TestingModule> {
  const module = await Test.createTestingModule({
    imports: [
      AppModule.register({
        pubsub: { service: SERVICE, transport: new MemoryTransport(broker) },
        database: { directory, migrations: MIGRATIONS },
        rollout: new RolloutSettings(provisioningDelayMs),
      }),
    ],
  }).compile();
  return module.init();
}

export interface Emitted {
  subject: string;
  payload: Record<string, unknown> & { deploymentId: string };
  correlationId?: string;
  idempotencyKey?: string;
  causationId?: string;
  traceparent?: string;
  /** The `deployment-version` header: the event's version, on the stored events only. */
  version?: string;
}

/** The client's transport; remembers the id of each request it sends, the causation of the events the request causes. */
class RecordingTransport extends MemoryTransport {
  readonly requestIds: string[] = [];

  override request(envelope: Envelope, timeoutMs: number): Promise<Envelope> {
    this.requestIds.push(envelope.headers[CE.id]!);
    return super.request(envelope, timeoutMs);
  }
}

/**
 * Another service on the same broker: calls the requests and records every deployment event it receives.
 * `requestIds`: the ids of the requests it sent, in order.
 */
export async function startClient(broker: MemoryBroker): Promise<{ client: PubSub; emitted: Emitted[]; requestIds: readonly string[] }> {
  const transport = new RecordingTransport(broker);
  const client = new PubSub({ service: 'test-client', transport });
  const emitted: Emitted[] = [];
  const events = [DeploymentCreated, DeploymentProvisioningStarted, DeploymentProgress, DeploymentSucceeded, DeploymentFailed, DeploymentDeleted];
  for (const definition of events) {
    await client.on(definition, (payload, message) => {
      emitted.push({
        subject: message.subject,
        payload,
        correlationId: message.correlationId,
        idempotencyKey: message.idempotencyKey,
        causationId: message.headers[CE.causationId],
        traceparent: message.headers['traceparent'],
        ...(message.headers[DEPLOYMENT_VERSION_HEADER] ? { version: message.headers[DEPLOYMENT_VERSION_HEADER] } : {}),
      });
    });
  }
  return { client, emitted, requestIds: transport.requestIds };
}

let owners = 0;
/** A fresh owner, as the gateway would pass it from the caller's token. */
export function newOwner(): { id: string; email: string } {
  return { id: randomUUID(), email: `owner${++owners}@example.com` };
}

export function emittedFor(emitted: readonly Emitted[], deploymentId: string): Emitted[] {
  return emitted.filter((event) => event.payload.deploymentId === deploymentId);
}
