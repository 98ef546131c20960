import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { NoRespondersError, RequestTimeoutError } from '../errors';
import { Limiter } from '../limiter';
import type { Envelope } from '../message';
import type { Reply, Responder, Subscription } from '../transport';
import { registered, type TransportLogger } from './connection';
import { encodedHeaders, readHeaders } from './headers';
import { isNoResponders, isTimeout } from './nats-errors';

/** Sends a request; nobody listening and nobody answering in time become the library's errors. */
export async function request(connection: NatsConnection, envelope: Envelope, timeoutMs: number): Promise<Envelope> {
  try {
    const reply = await connection.request(envelope.subject, envelope.data, { timeout: timeoutMs, headers: encodedHeaders(envelope.headers) });
    return { subject: reply.subject, data: reply.data, headers: readHeaders(reply) };
  } catch (error) {
    if (isNoResponders(error)) throw new NoRespondersError(envelope.subject);
    if (isTimeout(error)) throw new RequestTimeoutError(envelope.subject, timeoutMs);
    throw error;
  }
}

/** Answers the requests on `subject` that the server gives this member of `group`. */
export async function respond(
  connection: NatsConnection,
  subject: string,
  group: string,
  responder: Responder,
  logger: TransportLogger,
): Promise<Subscription> {
  const inFlight = new Limiter(Number.MAX_SAFE_INTEGER);
  const answer = async (message: Msg) => {
    const reply = await responder.answer({ subject: message.subject, data: message.data, headers: readHeaders(message) });
    try {
      send(message, reply);
    } catch (error) {
      // Too large for the server, say: the caller gets this instead of a timeout.
      send(message, responder.failed(error as Error));
    }
  };
  const subscription = connection.subscribe(subject, {
    queue: group,
    callback: (error, message) => {
      if (error) return;
      inFlight.run(() => answer(message)).catch((failure: unknown) => logger.error(`reply on ${subject} failed: ${(failure as Error).message}`));
    },
  });
  await registered(connection, subscription);
  return {
    subject,
    group,
    close: async () => {
      if (!subscription.isClosed()) await subscription.drain();
      await inFlight.idle();
    },
  };
}

function send(message: Msg, reply: Reply): void {
  message.respond(reply.data, { headers: encodedHeaders(reply.headers) });
}
