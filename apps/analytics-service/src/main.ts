import { startTelemetry } from '@mediamagic/runtime/telemetry';

// Tracing starts before the application is loaded, so that its instrumentations patch http, pg and Nest (see telemetry.ts).
await startTelemetry('analytics-service');
await import('./start');
