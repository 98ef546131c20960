import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

/*
 * What a NATS failure means, read from nats.js's error classes and the JetStream API's error codes,
 * never from message text: wording changes between releases, classes and codes are their contract.
 * nats-errors.spec.ts provokes each one on a real server.
 */

/** JetStream's `err_code`s this library reacts to (nats-server's errors.json), beyond those nats.js names. */
const CONSUMER_ALREADY_EXISTS = 10148;
/** A clustered server's answer when the new configuration could not be applied to it (the update then says why). */
const CONSUMER_NAME_EXISTS = 10013;

/**
 * What a clustered JetStream answers while it cannot serve for now (a member lost, leaders being elected):
 * temporarily unavailable, not the leader, not assigned to this server, stream or consumer offline.
 */
const JETSTREAM_NOT_READY = new Set([10007, 10008, 10009, 10118, 10119]);

/** No stream by that name, or none stores that subject (`streams.find` answers with the same code). */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/** No consumer by that name on that stream. */
export function isConsumerNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;
}

/** A durable consumer of that name exists with another configuration (servers since 2.10; older ones update it). */
export function isConsumerAlreadyExists(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === CONSUMER_ALREADY_EXISTS || error.code === CONSUMER_NAME_EXISTS);
}

/** JetStream cannot answer for now, and will once the cluster has settled (any 503 means the same). */
export function isJetStreamUnavailable(error: unknown): boolean {
  return error instanceof JetStreamApiError && (JETSTREAM_NOT_READY.has(error.code) || error.status === 503);
}

/**
 * Nobody listens on the subject. nats.js wraps it (a `RequestError`, and for a JetStream publish a
 * `JetStreamNotEnabled` around that), so the whole chain of causes is searched. For a JetStream
 * publish it means that no stream stores the subject, or JetStream is off.
 */
export function isNoResponders(error: unknown): boolean {
  return causes(error).some((cause) => cause instanceof errors.NoRespondersError);
}

/** Nobody answered in time. */
export function isTimeout(error: unknown): boolean {
  return causes(error).some((cause) => cause instanceof errors.TimeoutError);
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause = error; cause instanceof Error && chain.length < 10; cause = cause.cause) chain.push(cause);
  return chain;
}

/** JetStream cannot answer for now: the call timed out, nobody answered it, or the cluster is not ready. */
export function isJetStreamAway(error: unknown): boolean {
  return isTimeout(error) || isNoResponders(error) || isJetStreamUnavailable(error);
}
