import { Module, type DynamicModule } from '@nestjs/common';
import { getOptionsToken, getStorageToken, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { GatewayConfig } from '../config';
import { KvBucket } from './kv-bucket';
import { FAILURE_WINDOW_MS, LIMITS_BUCKET, LoginAttempts } from './login-attempts';
import { RateLimitStorage } from './rate-limit-storage';

/** The KV bucket of the limits, shared by every gateway replica; the gateway's NATS user may use it (authorization.conf). */
export const LIMITS_BUCKET_NAME = 'gateway-limits';

/**
 * The limits of the routes anybody may call: what AuthRateLimitGuard and LoginAttempts need. With AUTH_RATE_LIMIT=0
 * they are off and no bucket is opened.
 */
@Module({})
export class LimitsModule {
  static register(config: GatewayConfig): DynamicModule {
    const on = config.AUTH_RATE_LIMIT > 0;
    const options: ThrottlerModuleOptions = {
      throttlers: [{ name: 'auth', ttl: 60_000, limit: config.AUTH_RATE_LIMIT }],
      skipIf: () => !on,
      // Retry-After is the error filter's, from the 429's details; the library would set it too.
      setHeaders: false,
    };
    return {
      module: LimitsModule,
      providers: [
        {
          provide: LIMITS_BUCKET,
          useFactory: () =>
            on
              ? KvBucket.open({
                  servers: config.NATS_ADDR.split(',').map((server) => server.trim()),
                  user: config.NATS_USER,
                  pass: config.NATS_PASSWORD,
                  bucket: LIMITS_BUCKET_NAME,
                  // The longest anything is remembered: a window of failed logins (a rate window is a minute).
                  maxAgeMs: FAILURE_WINDOW_MS,
                  replicas: config.NATS_STREAM_REPLICAS,
                })
              : null,
        },
        { provide: getOptionsToken(), useValue: options },
        { provide: getStorageToken(), inject: [LIMITS_BUCKET], useFactory: (bucket: KvBucket | null) => bucket && new RateLimitStorage(bucket) },
        LoginAttempts,
      ],
      exports: [getOptionsToken(), getStorageToken(), LoginAttempts],
    };
  }
}
