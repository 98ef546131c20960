import { Logger, type INestApplicationContext } from '@nestjs/common';
import { ConfigError } from './config';

/**
 * Runs a service's start: on success logs `ready in N ms` (what `npm start` and the end-to-end test
 * wait for); on a bad configuration or an unreachable dependency prints why and exits 1, without a
 * stack trace for the expected cases.
 */
export async function startService<App extends INestApplicationContext>(
  service: string,
  start: () => Promise<App>,
): Promise<App | undefined> {
  const began = performance.now();
  const logger = new Logger(service);
  try {
    const app = await start();
    logger.log(`ready in ${Math.round(performance.now() - began)} ms`);
    return app;
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `cannot start: ${(error as Error).message ?? error}`;
    logger.error(message);
    process.exitCode = 1;
    // Whatever the failed start left open (a socket, a timer) must not keep the process alive.
    setTimeout(() => process.exit(1), 100).unref();
    return undefined;
  }
}
