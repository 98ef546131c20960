import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CreatePubSubOptions } from '../create-pubsub';
import type { PubSubOptions } from '../pubsub-options';

/** Either connect to NATS (`createPubSub`) or run over a given transport (e.g. a MemoryTransport in tests). */
export type PubSubModuleOptions = CreatePubSubOptions | PubSubOptions;

export const {
  ConfigurableModuleClass: PubSubConfigurableModule,
  MODULE_OPTIONS_TOKEN: PUBSUB_MODULE_OPTIONS,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PubSubModuleOptions>({ moduleName: 'PubSub' }).setClassMethodName('forRoot').build();

export type PubSubModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;
