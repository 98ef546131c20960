import { Platform, SERVICES, waitFor, type Service } from '@mediamagic/testing';
import { call } from './support/http';
import { familyOf, observabilityQueries, parseExposition, selectorsOf, type Scrape } from './support/promql';

const PASSWORD = 'correct horse battery';

/** The metrics of PLATFORM.md ("Observability") with their labels, and the services that must expose each. */
const CONTRACT: Array<{ metric: string; labels: string[]; services: Service[] }> = [
  { metric: 'messaging_client_sent_messages_total', labels: ['messaging_destination_name'], services: ['user-service', 'deployment-service'] },
  {
    metric: 'messaging_client_consumed_messages_total',
    labels: ['messaging_destination_name', 'messaging_consumer_group_name', 'outcome'],
    services: ['email-service', 'analytics-service'],
  },
  {
    metric: 'messaging_process_duration_seconds_bucket',
    labels: ['messaging_destination_name', 'messaging_consumer_group_name', 'le'],
    services: ['email-service', 'analytics-service'],
  },
  { metric: 'mediamagic_consumer_pending_messages', labels: ['stream', 'messaging_consumer_group_name'], services: ['email-service', 'analytics-service'] },
  { metric: 'mediamagic_outbox_pending_events', labels: [], services: ['user-service', 'deployment-service'] },
  { metric: 'mediamagic_outbox_oldest_pending_age_seconds', labels: [], services: ['user-service', 'deployment-service'] },
  {
    metric: 'http_server_request_duration_seconds_bucket',
    labels: ['http_request_method', 'http_route', 'http_response_status_code', 'le'],
    services: ['gateway'],
  },
];

/**
 * The dashboard and the alerts read metrics by name: a renamed metric is an empty panel nobody notices. So every
 * metric they query must be in a real scrape of the running services after the traffic that makes its series.
 */
describe('the metrics the dashboard and the alerts query', () => {
  let platform: Platform;
  const scrapes = {} as Record<Service, Scrape>;

  beforeAll(async () => {
    platform = await Platform.start({ suite: 'dashboard-metrics', provisioningDelayMs: 500 });
    await driveTraffic(platform);
    // The gauges are read from JetStream and the outbox table on their own schedule: wait until every service has them.
    await waitFor(
      async () => {
        for (const service of SERVICES) scrapes[service] = await scrape(platform, service);
        return CONTRACT.every(({ metric, services }) => services.every((service) => scrapes[service].samples.has(metric)));
      },
      { timeoutMs: 30_000, intervalMs: 500, message: 'every service to expose its metrics of the contract' },
    ).catch(() => undefined);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('finds every metric of the dashboard and the rules in a scrape, with the labels their matchers use', () => {
    const all = mergedScrape(Object.values(scrapes));
    const histograms = new Set([...all.types].filter(([, type]) => type === 'histogram').map(([name]) => name));
    const missing: string[] = [];
    for (const { where, expr } of observabilityQueries()) {
      for (const { metric, labels } of selectorsOf(expr)) {
        const family = familyOf(metric, histograms);
        if (!all.samples.has(metric)) missing.push(`${where}: ${metric}${family !== metric ? ` (histogram ${family})` : ''} is in no scrape`);
        for (const label of labels) if (!all.samples.get(metric)?.has(label)) missing.push(`${where}: ${metric} has no label ${label}`);
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it.each(CONTRACT)('$metric is exposed with its contract labels by the services that own it', ({ metric, labels, services }) => {
    for (const service of services) {
      expect(scrapes[service].samples.has(metric), `${service} exposes ${metric}`).toBe(true);
      expect([...scrapes[service].samples.get(metric)!].sort(), `${service} ${metric} labels`).toEqual(expect.arrayContaining(labels));
    }
  });

  it.each(SERVICES)("%s exposes Node's default process metrics", (service) => {
    for (const metric of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(scrapes[service].samples.has(metric), `${service} ${metric}`).toBe(true);
    }
  });
});

/** Register, verify, log in and create a deployment: every metric of the contract then has a series. */
async function driveTraffic(platform: Platform): Promise<void> {
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(platform.baseUrl, method, path, options);
  const email = 'grafana@example.com';
  expect((await api('POST', '/users', { json: { email, name: 'Grafana', password: PASSWORD } })).status).toBe(201);
  const mail = await waitFor(() => platform.smtp.to(email).find((m) => /token=/.test(m.text ?? '')), { timeoutMs: 20_000, message: 'the verification email' });
  expect((await api('POST', '/users/verify', { json: { token: /token=([\w-]+)/.exec(mail.text ?? '')![1] } })).status).toBe(200);
  const login = await api('POST', '/auth/login', { json: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  const token = login.body.accessToken as string;
  expect((await api('POST', '/deployments', { token, json: { name: 'dashboards', model: 'llama-3' } })).status).toBe(202);
  // A failing request too, so a 4xx series exists beside the 2xx ones.
  expect((await api('GET', '/deployments', { token: 'not-a-jwt' })).status).toBe(401);
  await waitFor(() => platform.smtp.to(email).some((m) => /running/i.test(m.subject ?? '')), { timeoutMs: 20_000, message: 'the "running" email' });
  await waitFor(async () => ((await api('GET', '/analytics/summary')).body?.counts?.['deployment.created'] ?? 0) >= 1, {
    timeoutMs: 20_000,
    message: 'analytics to count the deployment',
  });
}

async function scrape(platform: Platform, service: Service): Promise<Scrape> {
  const base = service === 'gateway' ? platform.baseUrl : platform.healthUrl(service);
  const response = await fetch(`${base}/metrics`);
  if (response.status !== 200) return { samples: new Map(), types: new Map() };
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseExposition(await response.text());
}

function mergedScrape(scrapes: Scrape[]): Scrape {
  const merged: Scrape = { samples: new Map(), types: new Map() };
  for (const { samples, types } of scrapes) {
    for (const [name, labels] of samples) merged.samples.set(name, new Set([...(merged.samples.get(name) ?? []), ...labels]));
    for (const [name, type] of types) merged.types.set(name, type);
  }
  return merged;
}
