import { waitFor, type SmtpServer } from '@mediamagic/testing';

// Answers are read as a client reads them, as plain JSON; the scenarios check what they need.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface Answer {
  /** 0 when no answer came (connection refused, timeout). */
  status: number;
  body: Json;
}

export const PASSWORD = 'correct horse battery';

/** An attempt the platform failed (5xx, or no answer), when it happened. */
export interface Failure {
  at: number;
  request: string;
  status: number;
  body: Json;
}

/**
 * The gateway's API as a well-behaved client uses it: a request that fails on the server side (5xx) or
 * gets no answer is sent again with the same Idempotency-Key until it gets a real answer, so a
 * retry never creates a second user or deployment. Counts what it had to do.
 */
export class Client {
  /** Attempts that failed and were repeated. */
  retries = 0;
  /** A 409 on a repeat: an earlier attempt committed, yet the key did not bring back its answer. */
  conflictsOnRetry = 0;
  /** Every attempt, repeated or not, that the platform failed. */
  readonly failures: Failure[] = [];

  /** `baseUrl` may be a function: an ingress that picks a gateway for each attempt. */
  constructor(readonly baseUrl: string | (() => string)) {}

  async call(method: string, path: string, options: { json?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
    const answer = await this.attempt(method, path, options);
    if (answer.status === 0 || answer.status >= 500) this.failures.push({ at: Date.now(), request: `${method} ${path}`, ...answer });
    return answer;
  }

  private async attempt(method: string, path: string, options: { json?: unknown; token?: string; headers?: Record<string, string> }): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    try {
      const baseUrl = typeof this.baseUrl === 'string' ? this.baseUrl : this.baseUrl();
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers,
        body: options.json === undefined ? undefined : JSON.stringify(options.json),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      const isJson = response.headers.get('content-type')?.includes('application/json');
      return { status: response.status, body: isJson && text ? JSON.parse(text) : text };
    } catch (error) {
      return { status: 0, body: (error as Error).message };
    }
  }

  /** Sends until the answer is not a failure of the platform (5xx or none), always with the same key. */
  async send(method: string, path: string, options: { json: unknown; key: string; token?: string; timeoutMs?: number }): Promise<Answer> {
    let attempts = 0;
    let last: Answer | undefined;
    return waitFor(
      async () => {
        if (attempts++ > 0) this.retries++;
        last = await this.call(method, path, { json: options.json, token: options.token, headers: { 'idempotency-key': options.key } });
        if (last.status === 409 && attempts > 1) this.conflictsOnRetry++;
        return last.status !== 0 && last.status < 500 && last;
      },
      { intervalMs: 250, timeoutMs: options.timeoutMs ?? 120_000, message: `${method} ${path} to be answered` },
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the last answer was ${last?.status} ${JSON.stringify(last?.body)}`);
    });
  }

  register(email: string, options: { timeoutMs?: number } = {}): Promise<Answer> {
    return this.send('POST', '/users', { json: { email, name: email.split('@')[0], password: PASSWORD }, key: `register-${email}`, ...options });
  }

  /** Follows the link of the verification email, as its reader would. */
  async followVerificationLink(smtp: SmtpServer, email: string): Promise<void> {
    const mail = await waitFor(() => smtp.to(email).find((m) => /verify/i.test(m.subject ?? '')), {
      timeoutMs: 60_000,
      message: `the verification email to ${email}`,
    });
    const link = mail.text?.match(/https?:\/\/\S+\/verify\?token=[\w-]+/)?.[0];
    if (!link) throw new Error(`no verification link in:\n${mail.text}`);
    const page = await fetch(link);
    if (page.status !== 200) throw new Error(`the verification link answered ${page.status}`);
  }

  async login(email: string): Promise<string> {
    const answer = await this.send('POST', '/auth/login', { json: { email, password: PASSWORD }, key: `login-${email}-${Date.now()}` });
    if (answer.status !== 200) throw new Error(`login of ${email}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.accessToken as string;
  }

  /** A registered, verified and logged-in user, as deploying requires; returns the access token. */
  async verifiedUser(smtp: SmtpServer, email: string): Promise<string> {
    const registered = await this.register(email);
    if (registered.status !== 201) throw new Error(`registering ${email}: ${registered.status} ${JSON.stringify(registered.body)}`);
    await this.followVerificationLink(smtp, email);
    return this.login(email);
  }

  createDeployment(token: string, name: string, options: { timeoutMs?: number } = {}): Promise<Answer> {
    return this.send('POST', '/deployments', { json: { name, model: 'llama-3' }, key: `deploy-${name}`, token, ...options });
  }

  /** Every deployment of the caller, all pages. */
  async deployments(token: string): Promise<Array<{ id: string; name: string; status: string }>> {
    const items = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=100&cursor=${encodeURIComponent(cursor)}` : '?limit=100';
      const page = await this.call('GET', `/deployments${query}`, { token });
      if (page.status !== 200) throw new Error(`GET /deployments: ${page.status} ${JSON.stringify(page.body)}`);
      items.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    return items;
  }

  async analytics(): Promise<Record<string, number>> {
    const answer = await this.call('GET', '/analytics/summary');
    if (answer.status !== 200) throw new Error(`GET /analytics/summary: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.counts;
  }
}

/** Runs `work` over the items, at most `concurrency` at a time, as that many clients would. */
export async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
