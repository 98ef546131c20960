/**
 * Scenario 1: raw bytes, at-most-once, fanned out to two queue groups ('a' and 'b') on one connection.
 * Library: pubsub.publish / pubsub.subscribe. Raw: nc.publish / nc.subscribe({ queue }).
 * Measured from the first publish until both groups received all N (or delivery stalled: then the
 * delivered count is reported, since core NATS may drop messages for a slow consumer).
 */
import { randomUUID } from 'node:crypto';
import { connect, headers, type MsgHdrs } from '@nats-io/transport-node';
import { createPubSub } from '@mediamagic/pubsub/nats';
import { now, rate, sleep, waitUntil, yieldToLoop, type Figure } from './harness';

export const MESSAGE_SIZE = 256;
/** Publishes between two turns of the event loop, so the sockets are read while publishing. */
const BATCH = 1_000;

export type Publish = (data: Uint8Array) => void | Promise<unknown>;

export interface Groups {
  delivered: { a: number; b: number };
  ready: { a: boolean; b: boolean };
  lastAt: number;
}

export function groups(): Groups {
  return { delivered: { a: 0, b: 0 }, ready: { a: false, b: false }, lastAt: 0 };
}

/** What every handler does: a short probe marks the group subscribed, a full message is counted. */
export function receive(state: Groups, group: 'a' | 'b', data: { length: number }): void {
  if (data.length !== MESSAGE_SIZE) {
    state.ready[group] = true;
    return;
  }
  state.delivered[group]++;
  state.lastAt = now();
}

export async function measure(n: number, publish: Publish, state: Groups): Promise<Figure> {
  const stopProbing = probeUntilReady(state, publish);
  // Both subscriptions are live at the server once a probe reached each group.
  const subscribed = await waitUntil(
    () => state.ready.a && state.ready.b,
    () => 0,
    { stallMs: 10_000, pollMs: 20 },
  );
  stopProbing();
  if (!subscribed) throw new Error('subscriptions never became ready');
  await sleep(50); // let further probes drain

  const data = new Uint8Array(MESSAGE_SIZE).fill(0x61);
  const start = now();
  for (let i = 0; i < n; i++) {
    const pending = publish(data);
    if (pending) await pending;
    if ((i + 1) % BATCH === 0) await yieldToLoop();
  }
  const complete = await waitUntil(
    () => state.delivered.a >= n && state.delivered.b >= n,
    () => state.delivered.a + state.delivered.b,
  );
  const delivered = Math.min(state.delivered.a, state.delivered.b);
  return {
    value: rate(delivered, state.lastAt - start),
    note: complete ? undefined : `delivered a=${state.delivered.a} b=${state.delivered.b} of ${n}`,
  };
}

/** Sends probes every 20 ms until both groups saw one (subscriptions are registered asynchronously). */
function probeUntilReady(state: Groups, publish: Publish): () => void {
  const timer = setInterval(() => {
    if (state.ready.a && state.ready.b) clearInterval(timer);
    else void publish(new Uint8Array(1));
  }, 20);
  return () => clearInterval(timer);
}

export async function libraryFanout(url: string, n: number, subject: string): Promise<Figure> {
  const pubsub = await createPubSub({ service: 'bench-fanout', natsAddr: url });
  try {
    const state = groups();
    for (const group of ['a', 'b'] as const) {
      await pubsub.subscribe(subject, async (message) => receive(state, group, message.data), { group });
    }
    const publish: Publish = (data) => pubsub.publish(subject, data);
    return await measure(n, publish, state);
  } finally {
    await pubsub.close();
  }
}

/**
 * `cloudEvents`: a diagnostic baseline that puts on the wire what the library does: per message, the same
 * CloudEvents headers built with nats.js `headers()`, and every subscriber reads them (`m.headers`).
 */
export async function rawFanout(url: string, n: number, subject: string, { cloudEvents = false } = {}): Promise<Figure> {
  const nc = await connect({ servers: url, name: 'bench-fanout-raw' });
  try {
    const state = groups();
    for (const group of ['a', 'b'] as const) {
      nc.subscribe(subject, {
        queue: group,
        callback: (error, message) => {
          if (error) return;
          if (cloudEvents) message.headers?.get('ce-id');
          receive(state, group, message.data);
        },
      });
    }
    const publish: Publish = cloudEvents ? (data) => nc.publish(subject, data, { headers: cloudEventHeaders(subject) }) : (data) => nc.publish(subject, data);
    return await measure(n, publish, state);
  } finally {
    await nc.drain();
  }
}

function cloudEventHeaders(subject: string): MsgHdrs {
  const h = headers();
  h.set('ce-specversion', '1.0');
  h.set('ce-id', randomUUID());
  h.set('ce-source', 'bench-fanout-raw');
  h.set('ce-type', subject);
  h.set('ce-time', new Date().toISOString());
  h.set('content-type', 'application/octet-stream');
  return h;
}
