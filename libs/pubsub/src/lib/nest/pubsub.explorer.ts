import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PubSub } from '../pubsub';
import { bindingsOf } from './decorators';

/** Finds the `@On...` methods of providers and controllers and subscribes them, bound to their instance. */
@Injectable()
export class PubSubExplorer implements OnApplicationBootstrap {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(PubSub) private readonly pubsub: PubSub,
  ) {}

  // Awaited by `app.init()`: once it resolves every handler is subscribed and a test may publish.
  async onApplicationBootstrap(): Promise<void> {
    await Promise.all([...this.instances()].flatMap((instance) => this.subscribeAll(instance)));
  }

  private *instances(): Iterable<object> {
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      // A subscription lives as long as the application: request-scoped and transient providers have no one
      // instance to bind it to (a new one per request or per consumer), so they cannot hold handlers.
      if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) continue;
      const instance: unknown = wrapper.instance;
      // Aliases (`useExisting`) and re-exports yield the same instance twice; subscribing it twice would double-handle.
      if (instance === null || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      yield instance;
    }
  }

  private subscribeAll(instance: object): Promise<unknown>[] {
    const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
    const methods = instance as Record<string, (...args: unknown[]) => unknown>;
    return this.scanner.getAllMethodNames(prototype).flatMap((name) =>
      bindingsOf(prototype[name]).map(async (binding) => {
        try {
          // Looked up on every call, not bound once: a method replaced later (a test's spy) is the one called.
          return await binding.subscribe(this.pubsub, (...args) => methods[name](...args));
        } catch (error) {
          throw new Error(`cannot subscribe ${instance.constructor.name}.${name} to ${binding.subject}: ${(error as Error).message}`, { cause: error });
        }
      }),
    );
  }
}
