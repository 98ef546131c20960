// The OpenTelemetry SDK of a service: a main.ts starts it before it loads anything else (see startTelemetry).
// Kept apart from the runtime's index, which loads Nest, pg and NATS: imported from here they would load before
// the instrumentations could patch them.
import { createRequire } from 'node:module';
import { tracingState } from './lib/tracing-state';

/**
 * Whether traces are exported: only the standard variables decide. An OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT
 * or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or an explicit OTEL_TRACES_EXPORTER other than `none` switches it on;
 * OTEL_SDK_DISABLED=true switches it off. Off, no SDK starts: no span is made, no context is kept.
 */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  if ((env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase() === 'true') return false;
  const exporter = (env['OTEL_TRACES_EXPORTER'] ?? '').trim();
  if (exporter === 'none') return false;
  return exporter !== '' || set('OTEL_EXPORTER_OTLP_ENDPOINT') || set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
}

/**
 * Starts tracing for `service` (its `service.name`, unless OTEL_SERVICE_NAME says otherwise) when tracingWanted.
 * Exporter, protocol (http/protobuf, http/json, grpc), sampler and batching come from the OTEL_* variables;
 * traces only: metrics are Prometheus' (`/metrics`), logs go to stdout.
 *
 * Call it first in main.ts and load the application after it (`await import(...)`). The instrumentations patch
 * modules as they are `require`d, but the bundles `import` pg, which never passes through `require`:
 * so they are required here once, patched, and the application's later `import` gets these same patched modules
 * from the CommonJS cache.
 */
export async function startTelemetry(service: string): Promise<void> {
  if (tracingState.enabled || !tracingWanted()) return;
  // Loaded only when wanted: a service without tracing does not even load the SDK.
  // No instrumentation-nestjs-core: it supports Nest below 12 only. The gateway names its HTTP spans after their
  // routes itself (http-observability.ts), and the messaging spans are the pubsub library's.
  const [{ NodeSDK }, { HttpInstrumentation }, { PgInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  const sdk = new NodeSDK({
    serviceName: process.env['OTEL_SERVICE_NAME']?.trim() || service,
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes are not requests of anybody's: no trace for them.
        ignoreIncomingRequestHook: (request) => /^\/(health|metrics)(\/|\?|$)/.test(request.url ?? ''),
      }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  tracingState.enabled = true;
  tracingState.stop = () => sdk.shutdown().catch(() => undefined);
  const require = createRequire(import.meta.url);
  for (const name of ['http', 'https', 'pg']) {
    try {
      require(name);
    } catch {
      // Not installed where this service runs (the gateway has no pg): nothing to patch.
    }
  }
}
