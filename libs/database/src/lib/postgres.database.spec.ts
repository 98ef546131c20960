import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PostgresDatabase } from './postgres.database';

/**
 * A server restart can cut a connection the moment it is made: the server's "ready" and its
 * "terminating connection" then arrive in one packet. A real PostgreSQL cannot be made to do that on
 * cue, so this speaks just enough of the wire protocol to do it.
 */
describe('PostgresDatabase when the server cuts a connection as it opens', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    let connections = 0;
    server = createServer((socket) => (++connections === 1 ? answerQueries(socket) : cutAtOnce(socket)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `postgres://app@127.0.0.1:${(server.address() as AddressInfo).port}/app`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('fails the transaction on that connection, and the process lives on', async () => {
    const errors: string[] = [];
    const db = await PostgresDatabase.connect(url, { error: (message) => errors.push(message) });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The first transaction holds the one open connection, so the second opens a new one.
    const first = db.transaction(() => held);
    try {
      await expect(db.transaction(async () => undefined)).rejects.toThrow();
      expect(errors).toContain('PostgreSQL connection lost: terminating connection due to administrator command');
    } finally {
      release();
      await first;
      await db.close();
    }
  });
});

/** Startup, then an empty result for every simple query ('Q'): enough for `select 1`, begin and commit. */
function answerQueries(socket: Socket): void {
  let buffer = Buffer.alloc(0);
  let started = false;
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      // The startup message has no type byte; every later one has.
      const offset = started ? 1 : 0;
      if (buffer.length < offset + 4) return;
      const end = offset + buffer.readInt32BE(offset);
      if (buffer.length < end) return;
      const type = started ? String.fromCharCode(buffer[0]!) : 'startup';
      buffer = buffer.subarray(end);
      if (type === 'startup') socket.write(Buffer.concat([AUTHENTICATION_OK, READY]));
      if (type === 'Q') socket.write(Buffer.concat([message('C', cString('SELECT 0')), READY]));
      started = true;
    }
  });
}

/** What a server shutting down sends a connection it just accepted, all in one write. */
function cutAtOnce(socket: Socket): void {
  socket.once('data', () => {
    const fields = Buffer.concat([cString('SFATAL'), cString('C57P01'), cString('Mterminating connection due to administrator command'), Buffer.from([0])]);
    socket.end(Buffer.concat([AUTHENTICATION_OK, READY, message('E', fields)]));
  });
}

function message(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), length, body]);
}

function cString(text: string): Buffer {
  return Buffer.from(`${text}\0`);
}

const AUTHENTICATION_OK = message('R', Buffer.from([0, 0, 0, 0]));
const READY = message('Z', Buffer.from('I'));
