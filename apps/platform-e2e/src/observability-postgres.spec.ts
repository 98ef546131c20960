import { Platform, SERVICES, startPostgresServer, waitFor, type PostgresServer } from '@mediamagic/testing';
import { call } from './support/http';
import { OtlpReceiver, renderTree } from './support/otlp-receiver';

/**
 * On PostgreSQL the database spans are instrumentation-pg's: proof that it patches the pg that the bundled
 * services import (see libs/runtime/src/telemetry.ts), which a bundle would otherwise load before the SDK.
 */
describe('observability on PostgreSQL', () => {
  let postgres: PostgresServer;
  let receiver: OtlpReceiver;
  let platform: Platform;

  beforeAll(async () => {
    [postgres, receiver] = await Promise.all([startPostgresServer(), OtlpReceiver.start()]);
    const telemetry = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '100' };
    platform = await Platform.start({ suite: 'observability-postgres', postgres, env: Object.fromEntries(SERVICES.map((service) => [service, telemetry])) });
  });
  afterAll(async () => {
    await platform?.stop();
    await Promise.all([postgres?.dispose(), receiver?.stop()]);
  });

  it("shows a registration's statements as pg spans under the service's processing of it", async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const registered = await call(platform.baseUrl, 'POST', '/users', {
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      json: { email: 'bo@example.com', name: 'Bo', password: 'correct horse battery' },
    });
    expect(registered.status).toBe(201);
    const answer = await waitFor(() => receiver.trace(traceId).find((span) => span.name === 'process users.register'), {
      timeoutMs: 10_000,
      message: "user-service's span of the registration",
    });
    const statements = () =>
      receiver.trace(traceId).filter((span) => span.service === 'user-service' && span.parentSpanId === answer.spanId && span.name.startsWith('pg.query'));
    await waitFor(() => statements().length > 0, { timeoutMs: 10_000, message: `pg spans under the registration in:\n${renderTree(receiver.trace(traceId))}` });
    expect(statements().map((span) => span.attributes)).toContainEqual(
      expect.objectContaining({
        'db.system.name': 'postgresql',
        'db.namespace': 'mediamagic_user',
        'db.query.text': expect.stringMatching(/^insert into users/),
      }),
    );
    // The statement's text, never its parameters: neither the address nor the password is in the trace.
    const recorded = JSON.stringify(receiver.trace(traceId).map((span) => [span.name, span.attributes, span.events]));
    expect(recorded).not.toMatch(/bo@example\.com|correct horse/);
  });
});
