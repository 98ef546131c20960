import { CreateDeployment, RegisterUser, VerifyEmail } from '@mediamagic/contracts';
import { Logger } from '@nestjs/common';
import { connect, type AddressInfo } from 'node:net';
import { aDeployment, aUser, startTestGateway, type TestGateway } from '../testing/test-gateway';
import { HTML_CONTENT_SECURITY_POLICY } from './http-adapter';

describe('what the API takes in, and the headers of every answer', () => {
  let gateway: TestGateway;
  let registered: unknown[];
  let logged: string[];
  beforeEach(async () => {
    gateway = await startTestGateway();
    registered = [];
    await gateway.services.reply(RegisterUser, (request) => {
      registered.push(request);
      return aUser({ email: request.email, name: request.name, emailVerified: false });
    });
    logged = [];
    for (const level of ['error', 'warn'] as const) {
      vi.spyOn(Logger.prototype, level).mockImplementation((message: unknown) => void logged.push(String(message)));
    }
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await gateway.close();
  });

  const register = (payload: string | Buffer, contentType = 'application/json') =>
    gateway.inject({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload });
  const registration = { email: 'ada@example.com', name: 'Ada', password: 'correct horse' };
  /** `{"x": [[[...]]]}` with `levels` levels in all. */
  const nested = (levels: number) => `{"x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

  it.each([
    ['text/plain', JSON.stringify(registration)],
    ['application/x-www-form-urlencoded', 'email=ada%40example.com&name=Ada&password=correct+horse'],
    ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\nada@example.com\r\n--x--`],
    ['application/xml', '<user/>'],
  ])('answers a %s body 415 without reaching the route (a cross-site form cannot register)', async (contentType, payload) => {
    const response = await register(payload, contentType);

    expect(response.statusCode).toBe(415);
    expect(response.json()).toEqual({ statusCode: 415, message: expect.any(String) });
    expect(registered).toEqual([]);
  });

  it('takes JSON whatever its charset parameter says, as UTF-8', async () => {
    expect((await register(JSON.stringify(registration), 'application/json; charset=utf-8')).statusCode).toBe(201);
  });

  it('answers a body nested 10,000 levels deep 400 at once, without a stack trace in the log', async () => {
    const response = await register(nested(10_000));

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ statusCode: 400, message: 'the body nests arrays and objects deeper than 32 levels' });
    expect(logged).toEqual([]);
  });

  it('takes 32 levels of nesting, and refuses 33', async () => {
    const deepest = await register(nested(32));
    const deeper = await register(nested(33));

    // 32 levels reach the validation, which refuses the unknown field.
    expect(deepest.json()).toEqual({ statusCode: 400, message: expect.stringContaining('"x"') });
    expect(deeper.json()).toEqual({ statusCode: 400, message: expect.stringContaining('deeper than 32 levels') });
  });

  it('does not count brackets inside strings as nesting', async () => {
    const response = await register(JSON.stringify({ ...registration, name: `Ada ${'[{'.repeat(40)} "\\` }));

    expect(response.statusCode).toBe(201);
  });

  it.each([
    ['a string', String.raw`{"email":"ada@example.com","name":"Ada \ud800","password":"correct horse"}`],
    ['a key', String.raw`{"email":"ada@example.com","name":"Ada","password":"correct horse","\udc00":1}`],
    ['a nested string', String.raw`{"email":"ada@example.com","name":"Ada","password":"correct horse","x":[{"y":"\ud83d"}]}`],
  ])('answers a lone UTF-16 surrogate in %s 400', async (_case, payload) => {
    const response = await register(payload);

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ statusCode: 400, message: expect.stringContaining('lone UTF-16 surrogate') });
    expect(registered).toEqual([]);
  });

  it('answers a lone surrogate in a deployment name 400, not 500', async () => {
    const create = vi.fn(() => aDeployment());
    await gateway.services.reply(CreateDeployment, create);
    const token = await gateway.tokenFor(aUser().id, 'ada@example.com');

    const response = await gateway.inject({
      method: 'POST',
      url: '/deployments',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: String.raw`{"name":"chat \udfff","model":"llama-3"}`,
    });

    expect(response.statusCode).toBe(400);
    expect(create).not.toHaveBeenCalled();
  });

  it('takes a surrogate pair (an emoji), and refuses bytes that are not UTF-8', async () => {
    const emoji = await register(String.raw`{"email":"ada@example.com","name":"Ada \ud83d\ude00","password":"correct horse"}`);
    const latin1 = await register(Buffer.from('{"email":"ada@example.com","name":"Ad\xe9","password":"correct horse"}', 'latin1'));

    expect(emoji.statusCode).toBe(201);
    expect(registered).toEqual([{ ...registration, name: 'Ada 😀' }]);
    expect(latin1.json()).toEqual({ statusCode: 400, message: 'the body is not valid UTF-8' });
  });

  it('sends X-Content-Type-Options: nosniff with every answer', async () => {
    await gateway.services.reply(VerifyEmail, () => ({ id: aUser().id, email: 'ada@example.com', emailVerified: true as const }));
    const answers = [
      await register(JSON.stringify(registration)),
      await register('{', 'application/json'),
      await register('x', 'text/plain'),
      await gateway.inject({ method: 'GET', url: '/nowhere' }),
      await gateway.inject({ method: 'GET', url: '/deployments/%E0%A4%A' }),
      await gateway.inject({ method: 'GET', url: '/verify?token=a-token' }),
      await gateway.inject({ method: 'GET', url: '/docs' }),
      await gateway.inject({ method: 'GET', url: '/health' }),
    ];

    expect(answers.map((answer) => answer.headers['x-content-type-options'])).toEqual(answers.map(() => 'nosniff'));
  });

  it('sends nosniff on what it answers on the socket, too', async () => {
    await gateway.app.listen(0, '127.0.0.1');
    const { port } = gateway.app.getHttpServer().address() as AddressInfo;

    // Headers over Node's limit: Fastify never sees the request, and the answer is written on the socket.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(text));
    });

    expect(answer).toMatch(/^HTTP\/1.1 431 /);
    expect(answer).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/i);
  });

  it('sends a strict Content-Security-Policy with every HTML page: the API docs and the verification page', async () => {
    await gateway.services.reply(VerifyEmail, () => ({ id: aUser().id, email: 'ada@example.com', emailVerified: true as const }));

    const docs = await gateway.inject({ method: 'GET', url: '/docs' });
    const verify = await gateway.inject({ method: 'GET', url: '/verify?token=a-token' });

    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    expect(docs.headers['content-security-policy']).toBe(HTML_CONTENT_SECURITY_POLICY);
    expect(verify.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    for (const policy of [docs.headers['content-security-policy'], verify.headers['content-security-policy']]) {
      expect(policy).toMatch(/default-src 'none'/);
      expect(policy).toMatch(/frame-ancestors 'none'/);
      expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    }
  });
});
