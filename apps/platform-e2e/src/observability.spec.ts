import { readFileSync } from 'node:fs';
import { Platform, SERVICES, waitFor } from '@mediamagic/testing';
import { call } from './support/http';
import { scrape, valueOf } from './support/metrics';
import { OtlpReceiver, renderTree, type ReceivedSpan } from './support/otlp-receiver';

const PASSWORD = 'correct horse battery';
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** A client's own trace context, as a browser or another system would send it. */
const traceparentOf = (traceId: string) => `00-${traceId}-00f067aa0ba902b7-01`;

/**
 * Following one request through the platform, as an operator does: the services export their spans over
 * OTLP/HTTP (JSON) to a receiver in the test, serve `/metrics`, and log JSON lines.
 */
describe('observability, end to end', () => {
  let platform: Platform;
  let receiver: OtlpReceiver;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(platform.baseUrl, method, path, options);
  const awaitMail = (address: string, subject: RegExp) =>
    waitFor(() => platform.smtp.to(address).find((mail) => subject.test(mail.subject ?? '')), { timeoutMs: 20_000, message: `an email matching ${subject}` });
  const metricsOf = (service: string) => scrape(`${platform.healthUrl(service)}/metrics`);
  const logLines = (service: string) =>
    readFileSync(platform.logFile(service), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    const telemetry = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Export within 100 ms rather than 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
    };
    platform = await Platform.start({
      suite: 'observability',
      provisioningDelayMs: 300,
      env: Object.fromEntries(SERVICES.map((service) => [service, telemetry])),
    });
  });
  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
  });

  it('follows a deployment from the HTTP request to the email and the analytics, in one trace, in the metrics and in the logs', async () => {
    const registration = '5b8aa5a2d2c872e8321cf37308d69df2';
    expect(
      (
        await api('POST', '/users', {
          headers: { traceparent: traceparentOf(registration) },
          json: { email: 'ada@example.com', name: 'Ada', password: PASSWORD },
        })
      ).status,
    ).toBe(201);
    const link = /http\S+verify\?token=[\w-]+/.exec((await awaitMail('ada@example.com', /verify/i)).text ?? '')![0];
    expect((await fetch(link)).status).toBe(200);
    const token = (await api('POST', '/auth/login', { json: { email: 'ada@example.com', password: PASSWORD } })).body.accessToken as string;

    const before = {
      deployment: await metricsOf('deployment-service'),
      email: await metricsOf('email-service'),
      analytics: await metricsOf('analytics-service'),
    };
    const gatewayBefore = await scrape(`${platform.baseUrl}/metrics`);

    // The client's trace: the gateway continues it.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const created = await api('POST', '/deployments', { token, headers: { traceparent: traceparentOf(traceId) }, json: { name: 'chat', model: 'llama-3' } });
    expect(created.status).toBe(202);
    await awaitMail('ada@example.com', /chat is running/i);

    // Each group's processing of both events, and analytics' of both emails' tracking events, reached the receiver.
    const spans = () => receiver.trace(traceId);
    const processed = (subject: string, service: string) => spans().filter((span) => span.name === `process ${subject}` && span.service === service);
    await waitFor(
      () =>
        ['email-service', 'analytics-service'].every(
          (service) => processed('deployment.created', service).length === 1 && processed('deployment.succeeded', service).length === 1,
        ) && processed('tracking.email.sent', 'analytics-service').length === 2,
      { timeoutMs: 10_000, message: 'the spans of the whole flow' },
    );
    const tree = renderTree(spans());
    const one = (predicate: (span: ReceivedSpan) => boolean, what: string) => {
      const found = spans().filter(predicate);
      expect(found, `${what} in:\n${tree}`).toHaveLength(1);
      return found[0]!;
    };
    const isUnder = (child: ReceivedSpan, ancestor: ReceivedSpan): boolean => {
      for (let span: ReceivedSpan | undefined = child; span; span = spans().find((it) => it.spanId === span!.parentSpanId)) {
        if (span.parentSpanId === ancestor.spanId) return true;
      }
      return false;
    };

    // One trace across the four services.
    expect(new Set(spans().map((span) => span.service))).toEqual(new Set(['gateway', 'deployment-service', 'email-service', 'analytics-service']));

    // gateway: the HTTP span continues the client's, named after its route; the request to deployment-service under it.
    const http = one((span) => span.service === 'gateway' && span.kind === SERVER, 'the HTTP span');
    expect(http).toMatchObject({ name: 'POST /deployments', parentSpanId: '00f067aa0ba902b7' });
    expect(http.attributes).toMatchObject({ 'http.route': '/deployments', 'http.response.status_code': 202 });
    const request = one((span) => span.name === 'send deployments.create' && span.kind === CLIENT, 'the request');
    expect(isUnder(request, http)).toBe(true);

    // deployment-service answers under the request, writes to its database, and the relay's publish joins the trace.
    const answer = one((span) => span.name === 'process deployments.create' && span.kind === SERVER, 'the answer');
    expect(answer).toMatchObject({ service: 'deployment-service', parentSpanId: request.spanId });
    expect(answer.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': 'deployments.create' });
    expect(spans().some((span) => span.service === 'deployment-service' && span.attributes['db.system.name'] === 'postgresql' && isUnder(span, answer))).toBe(
      true,
    );
    const send = one((span) => span.name === 'send deployment.created' && span.kind === PRODUCER, 'the outbox publish');
    expect(send.service).toBe('deployment-service');
    expect(isUnder(send, answer)).toBe(true);
    const eventId = send.attributes['messaging.message.id'];
    expect(eventId).toEqual(expect.any(String));
    expect(send.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': 'deployment.created' });

    // Each consumer group processes it under the send, with the messaging attributes of the conventions.
    for (const [service, group] of [
      ['email-service', 'email-service.notify-deployment-owner'],
      ['analytics-service', 'analytics-service.count-event'],
    ] as const) {
      const process = processed('deployment.created', service)[0]!;
      expect(process).toMatchObject({ kind: CONSUMER, parentSpanId: send.spanId });
      expect(process.attributes).toMatchObject({
        'messaging.system': 'nats',
        'messaging.destination.name': 'deployment.created',
        'messaging.consumer.group.name': group,
        'messaging.message.id': eventId,
      });
    }
    // The email goes out as a child span of its event's processing; the later event joins the same trace.
    const notify = processed('deployment.created', 'email-service')[0]!;
    expect(spans().some((span) => span.name === 'smtp send' && span.parentSpanId === notify.spanId)).toBe(true);
    const succeeded = one((span) => span.name === 'send deployment.succeeded', 'the later event');
    expect(processed('deployment.succeeded', 'email-service')[0]!.parentSpanId).toBe(succeeded.spanId);
    console.log(`the trace of one deployment, as the receiver saw it:\n${tree}`);

    // Metrics grew by exactly what was sent: two events, each processed once by each group, two emails tracked.
    const after = {
      deployment: await metricsOf('deployment-service'),
      email: await metricsOf('email-service'),
      analytics: await metricsOf('analytics-service'),
    };
    const grew = (service: keyof typeof after, name: string, labels: Record<string, string>) =>
      valueOf(after[service], name, labels) - valueOf(before[service], name, labels);
    for (const subject of ['deployment.created', 'deployment.succeeded']) {
      expect(grew('deployment', 'messaging_client_sent_messages_total', { messaging_destination_name: subject })).toBe(1);
      for (const [service, group] of [
        ['email', 'email-service.notify-deployment-owner'],
        ['analytics', 'analytics-service.count-event'],
      ] as const) {
        const labels = { messaging_destination_name: subject, messaging_consumer_group_name: group };
        expect(grew(service, 'messaging_client_consumed_messages_total', { ...labels, outcome: 'ack' })).toBe(1);
        expect(grew(service, 'messaging_process_duration_seconds_count', labels)).toBe(1);
      }
    }
    expect(grew('email', 'messaging_client_sent_messages_total', { messaging_destination_name: 'tracking.email.sent' })).toBe(2);
    const tracked = { messaging_destination_name: 'tracking.email.sent', messaging_consumer_group_name: 'analytics-service.count-event', outcome: 'ack' };
    expect(grew('analytics', 'messaging_client_consumed_messages_total', tracked)).toBe(2);
    // Nothing is left waiting: in the consumers (from JetStream) nor in the outboxes (from their tables).
    expect(
      valueOf(after.email, 'mediamagic_consumer_pending_messages', {
        stream: 'DEPLOYMENT',
        messaging_consumer_group_name: 'email-service.notify-deployment-owner',
      }),
    ).toBe(0);
    expect([...after.analytics.keys()].some((key) => key.startsWith('mediamagic_consumer_pending_messages{'))).toBe(true);
    expect(valueOf(after.deployment, 'mediamagic_outbox_pending_events')).toBe(0);
    expect(after.deployment.has('mediamagic_outbox_oldest_pending_age_seconds')).toBe(true);
    const users = await metricsOf('user-service');
    expect(valueOf(users, 'mediamagic_outbox_pending_events')).toBe(0);
    expect(users.has('mediamagic_outbox_oldest_pending_age_seconds')).toBe(true);
    // Node's default process metrics, unprefixed.
    expect(after.email.has('process_cpu_user_seconds_total')).toBe(true);
    // The gateway's HTTP histogram, by route template: never an id in a label.
    expect((await api('GET', `/deployments/${created.body.id}`, { token })).status).toBe(200);
    const gatewayAfter = await scrape(`${platform.baseUrl}/metrics`);
    expect(
      gatewayAfter.has('http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/deployments/:id"}'),
    ).toBe(true);
    expect([...gatewayAfter.keys()].filter((key) => key.includes(created.body.id as string))).toEqual([]);
    const posted = { http_request_method: 'POST', http_route: '/deployments', http_response_status_code: '202' };
    expect(
      valueOf(await scrape(`${platform.baseUrl}/metrics`), 'http_server_request_duration_seconds_count', posted) -
        valueOf(gatewayBefore, 'http_server_request_duration_seconds_count', posted),
    ).toBe(1);

    // Each service logged JSON lines with the trace id of the request that made it work: the deployment's, or for
    // user-service the registration's.
    // The gateway's access log line carries the request's trace id and its correlation id.
    expect(logLines('gateway')).toContainEqual(expect.objectContaining({ context: 'Http', trace_id: traceId, correlation_id: expect.any(String) }));
    for (const service of SERVICES) {
      const wanted = service === 'user-service' ? registration : traceId;
      const line = logLines(service).find((entry) => entry['trace_id'] === wanted);
      expect(line, `a line of ${service} with trace_id ${wanted}`).toMatchObject({
        service,
        span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
        correlation_id: expect.any(String),
      });
    }

    // The readiness probes the harness made while the services started, and the scrapes above, made no traces.
    expect(receiver.spans.filter((span) => /\/(health|metrics)/.test(`${span.name} ${span.attributes['url.path'] ?? ''}`))).toEqual([]);
  });
});
