import { Logger, type INestApplicationContext } from '@nestjs/common';
import { ConfigError, loadConfig, LogEnv } from './config';
import { createLogger, useLogger } from './logging';
import { tracingState } from './tracing-state';

export interface StartOptions {
  /** How long a stop may take before the process exits anyway (default 25 s, under Kubernetes' 30 s grace). */
  shutdownTimeoutMs?: number;
}

/**
 * Runs a service's start: logs through pino from the first line (`LOG_FORMAT`, `LOG_LEVEL`, see logging.ts);
 * on success logs `ready in N ms` (what `npm start` and the end-to-end test
 * wait for); on a bad configuration or an unreachable dependency prints why and exits 1, without a
 * stack trace for the expected cases. Then stops cleanly on SIGTERM or SIGINT (see `stopOnSignals`).
 * Create the Nest app with `abortOnError: false`, so a failed start reaches this function.
 */
export async function startService<App extends INestApplicationContext>(
  service: string,
  start: () => Promise<App>,
  options: StartOptions = {},
): Promise<App | undefined> {
  const began = performance.now();
  const logger = new Logger(service);
  try {
    // First: every line from here on, Nest's own included, is the service's structured log.
    useLogger(createLogger(service, loadConfig(LogEnv)));
    const app = await start();
    stopOnSignals(app, logger, options.shutdownTimeoutMs ?? 25_000);
    logger.log(`ready in ${Math.round(performance.now() - began)} ms`);
    return app;
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : `cannot start: ${(error as Error).message ?? error}`;
    logger.error(message);
    process.exitCode = 1;
    void tracingState.stop?.();
    // Whatever the failed start left open (a socket, a timer) must not keep the process alive.
    setTimeout(() => process.exit(1), 100).unref();
    return undefined;
  }
}

/**
 * Nest's own shutdown hooks re-raise the signal after closing, so the process ends with 143 as if it
 * had been killed. Here a stop is a success: close the app (stop taking work, drain what is in
 * flight), then exit 0. A second signal, or the timeout, exits 1 at once.
 */
function stopOnSignals(app: INestApplicationContext, logger: Logger, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: stopping, finishing the work in flight`);
    setTimeout(() => {
      logger.error(`not stopped after ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    app.close().then(
      async () => {
        // The spans of the last work go out before the process ends.
        await tracingState.stop?.();
        logger.log('stopped');
        process.exitCode = 0;
        // Normally nothing is left and the process ends by itself (its last log lines flushed); a stray handle must not keep it.
        setTimeout(() => process.exit(0), 1_000).unref();
      },
      (error: Error) => {
        logger.error(`stopping failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
