/**
 * A process run by start-service.spec.ts: startService around an application whose close() takes
 * FIXTURE_CLOSE_MS (or never ends with "never"), stopped with FIXTURE_TIMEOUT_MS as the bound.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { startService } from '../start-service';

const closeMs = process.env['FIXTURE_CLOSE_MS'] ?? '0';
const close = () => new Promise<void>((resolve) => closeMs !== 'never' && setTimeout(resolve, Number(closeMs)));
await startService('fixture', async () => ({ close }) as unknown as INestApplicationContext, {
  shutdownTimeoutMs: Number(process.env['FIXTURE_TIMEOUT_MS'] ?? 25_000),
});
// Work that would keep the process alive, as a service's connections do.
setInterval(() => undefined, 1_000);
