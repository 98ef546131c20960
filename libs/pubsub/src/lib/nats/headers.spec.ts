import { jetstream, jetstreamManager, AckPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '@mediamagic/testing';
import type { Headers } from '../message';
import { canReadRawHeaders, encodedHeaders, fromNatsHeaders, readHeaders } from './headers';

/*
 * headers.ts reads private fields of nats.js's messages and hands nats.js a header object with only
 * `encode()`. Both rest on nats.js internals, so both are checked here with real messages from a
 * real server: a nats.js upgrade that changes them fails these tests instead of passing silently.
 */
describe('NATS headers against nats.js internals', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  const sent = { 'ce-id': 'abc', 'content-type': 'application/json', 'x-spaced': 'a value: with colon' };

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'HEADERS', subjects: ['headers.>'] });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  /** The next core message on `subject` after `send` ran. */
  async function receive(subject: string, send: () => void): Promise<Msg> {
    const subscription = nc.subscribe(subject, { max: 1 });
    await nc.flush();
    send();
    for await (const message of subscription) return message;
    throw new Error(`nothing arrived on ${subject}`);
  }

  /** The fast path is taken, and reads what nats.js's public decoding reads. */
  function expectFastRead(message: Parameters<typeof readHeaders>[0], expected: Headers): void {
    expect(canReadRawHeaders(message)).toBe(true);
    expect(readHeaders(message)).toEqual(expected);
    expect(readHeaders(message)).toEqual(fromNatsHeaders(message.headers));
  }

  it('reads a core message header block directly: lower-cased keys, the first of repeated values, trimmed', async () => {
    const h = natsHeaders();
    h.set('Ce-Id', 'abc');
    h.append('x-multi', 'first');
    h.append('x-multi', 'second');
    h.set('x-spaced', '  padded  ');
    const message = await receive('core.read', () => nc.publish('core.read', 'body', { headers: h }));
    expectFastRead(message, { 'ce-id': 'abc', 'x-multi': 'first', 'x-spaced': 'padded' });
    expect(message.string()).toBe('body');
  });

  it('reads a core message without headers directly', async () => {
    const message = await receive('core.bare', () => nc.publish('core.bare', 'body'));
    expectFastRead(message, {});
  });

  it('reads a reply directly', async () => {
    const responder = nc.subscribe('rpc.headers', {
      callback: (_, request) => void request.respond('ok', { headers: encodedHeaders(sent) }),
    });
    try {
      expectFastRead(await nc.request('rpc.headers', undefined, { timeout: 2_000 }), sent);
    } finally {
      responder.unsubscribe();
    }
  });

  it('reads a JetStream message directly, through the core message it arrived in', async () => {
    await js.publish('headers.read', 'body', { headers: encodedHeaders(sent) });
    await jsm.consumers.add('HEADERS', { durable_name: 'reader', ack_policy: AckPolicy.Explicit });
    const message = await (await js.consumers.get('HEADERS', 'reader')).next({ expires: 5_000 });
    if (!message) throw new Error('no JetStream message');
    expectFastRead(message, sent);
    message.ack();
  });

  it('sends exactly the encoded header block on a core publish, a request and a reply', async () => {
    const published = await receive('core.sent', () => nc.publish('core.sent', 'body', { headers: encodedHeaders(sent) }));
    expect(entries(published)).toEqual(Object.entries(sent));

    let request: Msg | undefined;
    const responder = nc.subscribe('rpc.sent', {
      callback: (_, message) => {
        request = message;
        message.respond('ok', { headers: encodedHeaders({ 'x-reply': 'yes' }) });
      },
    });
    try {
      const reply = await nc.request('rpc.sent', 'question', { timeout: 2_000, headers: encodedHeaders(sent) });
      expect(entries(request!)).toEqual(Object.entries(sent));
      expect(entries(reply)).toEqual([['x-reply', 'yes']]);
    } finally {
      responder.unsubscribe();
    }
  });

  it('sends exactly the encoded header block on a JetStream publish, and the server honours its message id', async () => {
    const headers = encodedHeaders({ ...sent, 'Nats-Msg-Id': 'once' });
    const first = await js.publish('headers.sent', 'body', { headers });
    const second = await js.publish('headers.sent', 'body', { headers });
    expect(second).toMatchObject({ seq: first.seq, duplicate: true });
    const stored = await jsm.streams.getMessage('HEADERS', { seq: first.seq });
    expect(entries(stored!)).toEqual([...Object.entries(sent), ['Nats-Msg-Id', 'once']]);
  });
});

/** Every header as nats.js's public decoding sees it, in order, repeated values included. */
function entries(message: { headers?: Msg['headers'] } | { header: Msg['headers'] }): Array<[string, string]> {
  const headers = 'header' in message ? message.header : message.headers;
  return [...(headers ?? [])].flatMap(([key, values]) => values.map((value): [string, string] => [key, value]));
}
