import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { Outbox, OutboxTable } from './outbox';
import { OUTBOX_RELAY_OPTIONS, OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
import { OUTBOX_SOURCE, type OutboxSource } from './outbox-source';

/** The outbox and its relay; needs the Database and PubSub modules. */
@Module({})
export class OutboxModule {
  /** The outbox table (add OUTBOX_TABLE to the migrations): inject `Outbox` to write events in a transaction. */
  static forRoot(options: OutboxRelayOptions = {}): DynamicModule {
    return {
      module: OutboxModule,
      providers: [Outbox, OutboxTable, { provide: OUTBOX_SOURCE, useExisting: OutboxTable }, { provide: OUTBOX_RELAY_OPTIONS, useValue: options }, OutboxRelay],
      exports: [Outbox, OutboxRelay],
    };
  }

  /** A table of the service's own that is its outbox (an event store): only the relay. */
  static forSource(source: Type<OutboxSource>, options: OutboxRelayOptions = {}): DynamicModule {
    return {
      module: OutboxModule,
      providers: [source, { provide: OUTBOX_SOURCE, useExisting: source }, { provide: OUTBOX_RELAY_OPTIONS, useValue: options }, OutboxRelay],
      exports: [OutboxRelay],
    };
  }
}
