/**
 * Whether telemetry.ts started the OpenTelemetry SDK, and how to flush it. A module of its own, so the runtime
 * learns it without loading the SDK (the bundles share this one instance between main.ts and the application).
 */
export const tracingState: { enabled: boolean; stop?: () => Promise<void> } = { enabled: false };
