import { createServer, type Server } from 'node:http';
import { requestFrom } from './burst';

describe('requestFrom', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // Answers with the address it saw the request come from, and a Retry-After.
    server = createServer((request, response) => {
      response.writeHead(429, { 'retry-after': '7', 'content-type': 'text/plain' });
      response.end(`${request.method} from ${request.socket.remoteAddress}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends from the local address it is given, and reads Retry-After', async () => {
    await expect(requestFrom('127.0.1.7', `${url}/users`, { json: {} })).resolves.toEqual({ status: 429, retryAfterSeconds: 7, body: 'POST from 127.0.1.7' });
  });

  it('answers status 0 when nothing answers', async () => {
    await expect(requestFrom('127.0.1.7', 'http://127.0.0.1:1')).resolves.toMatchObject({ status: 0 });
  });
});
