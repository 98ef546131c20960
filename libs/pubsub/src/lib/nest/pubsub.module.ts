import { Global, Inject, Logger, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { createPubSub } from '../create-pubsub';
import { PubSub } from '../pubsub';
import { PubSubExplorer } from './pubsub.explorer';
import { PUBSUB_MODULE_OPTIONS, PubSubConfigurableModule, type PubSubModuleOptions } from './pubsub.module-definition';

// Connecting inside the factory makes an unreachable NATS fail the application's start, not its first publish.
const pubsubProvider: Provider = {
  provide: PubSub,
  inject: [PUBSUB_MODULE_OPTIONS],
  useFactory: (options: PubSubModuleOptions): PubSub | Promise<PubSub> => {
    const withLogger = { ...options, logger: options.logger ?? new Logger('PubSub') };
    return 'transport' in withLogger ? new PubSub(withLogger) : createPubSub(withLogger);
  },
};

/**
 * Provides `PubSub` everywhere (to publish and to send requests), subscribes the `@On...` handlers
 * once the application has bootstrapped and drains on shutdown (apps must call `enableShutdownHooks()`).
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [pubsubProvider, PubSubExplorer],
  exports: [PubSub],
})
export class PubSubModule extends PubSubConfigurableModule implements OnApplicationShutdown {
  constructor(@Inject(PubSub) private readonly pubsub: PubSub) {
    super();
  }

  // The last hook: the HTTP server has stopped taking requests, whose handlers may still have needed the broker.
  onApplicationShutdown(): Promise<void> {
    return this.pubsub.close();
  }
}
