import { VerifyEmail } from '@mediamagic/contracts';
import { InvalidError } from '@mediamagic/errors';
import { aUser, startTestGateway, type TestGateway } from '../testing/test-gateway';

describe('GET /verify (the link of the verification email)', () => {
  let gateway: TestGateway;
  const user = aUser({ email: 'ada@example.com' });
  const tokens: string[] = [];
  beforeEach(async () => {
    tokens.length = 0;
    gateway = await startTestGateway();
    await gateway.services.reply(VerifyEmail, ({ token }) => {
      tokens.push(token);
      if (token === 'good-token') return { id: user.id, email: user.email, emailVerified: true as const };
      throw new InvalidError(`token <b>${token}</b> is unknown & "expired"`);
    });
  });
  afterEach(() => gateway.close());

  const open = (url: string) => gateway.inject({ method: 'GET', url });

  it('verifies the address and says so in an HTML page', async () => {
    const response = await open('/verify?token=good-token');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toMatch(/^<!doctype html>/);
    expect(response.body).toContain('ada@example.com is verified');
    expect(tokens).toEqual(['good-token']);
  });

  it("shows user-service's reason for a bad token in a 400 page, HTML-escaped", async () => {
    const response = await open('/verify?token=%3Cscript%3E');

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('token &lt;b&gt;&lt;script&gt;&lt;/b&gt; is unknown &amp; &quot;expired&quot;');
    expect(response.body).not.toContain('<script>');
    expect(response.body).not.toContain('<b>');
  });

  it('answers a 400 page when the link has no token, without asking user-service', async () => {
    for (const url of ['/verify', '/verify?token=', '/verify?token=a&token=b']) {
      const response = await open(url);
      expect({ url, status: response.statusCode, type: response.headers['content-type'] }).toEqual({ url, status: 400, type: 'text/html; charset=utf-8' });
      expect(response.body).toContain('no valid verification token');
    }
    expect(tokens).toEqual([]);
  });
});
