import { Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import type { GatewayConfig } from '../config';
import { LiveFeed } from './live-feed';
import { LiveHub } from './live-hub';

/** Frames a live client may have waiting (~300 bytes each) before it is disconnected: ~40 KB per slow client at most. */
export const LIVE_QUEUE_LIMIT = 128;

/** Ends the live streams first when the gateway stops: an open stream would otherwise hold the HTTP server's close. */
@Injectable()
class LiveShutdown implements OnModuleDestroy {
  constructor(
    @Inject(LiveHub) private readonly hub: LiveHub,
    @Inject(LiveFeed) private readonly feed: LiveFeed,
  ) {}

  async onModuleDestroy(): Promise<void> {
    this.hub.stop();
    await this.feed.close();
  }
}

/**
 * What GET /deployments/live (LiveController) needs: the hub of open streams and the one feed that fills them. The
 * controller sits among the AppModule's, before DeploymentsController, with the guard it shares with them.
 */
@Module({})
export class LiveModule {
  static register(config: GatewayConfig): DynamicModule {
    return {
      module: LiveModule,
      providers: [
        { provide: LiveHub, useFactory: () => new LiveHub({ keepAliveMs: config.LIVE_KEEP_ALIVE_MS, queueLimit: LIVE_QUEUE_LIMIT }) },
        {
          provide: LiveFeed,
          inject: [LiveHub],
          useFactory: (hub: LiveHub) =>
            new LiveFeed({ servers: config.NATS_ADDR.split(',').map((server) => server.trim()), user: config.NATS_USER, pass: config.NATS_PASSWORD }, hub),
        },
        LiveShutdown,
      ],
      exports: [LiveHub, LiveFeed],
    };
  }
}
