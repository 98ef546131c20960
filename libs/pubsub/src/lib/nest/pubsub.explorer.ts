import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PubSub } from '../pubsub';
import type { Subscription } from '../transport';
import { PUBSUB_HANDLERS, type HandlerBinding } from './decorators';

type Method = (...args: unknown[]) => unknown;

/** Finds the `@On...` methods of providers and controllers and subscribes them, bound to their instance. */
@Injectable()
export class PubSubExplorer implements OnApplicationBootstrap {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
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

  private subscribeAll(instance: object): Promise<Subscription>[] {
    const prototype = Object.getPrototypeOf(instance) as Record<string, Method>;
    const methods = instance as Record<string, Method>;
    const group = `${this.pubsub.service}.${handlerName(instance.constructor.name)}`;
    const bound = this.scanner
      .getAllMethodNames(prototype)
      .flatMap((name) => (this.reflector.get<HandlerBinding[] | undefined>(PUBSUB_HANDLERS, prototype[name]) ?? []).map((binding) => ({ name, binding })));
    assertOneHandlerPerSubject(instance.constructor.name, bound);
    return bound.map(async ({ name, binding }) => {
      // Looked up on every call, not bound once: a method replaced later (a test's spy) is the one called.
      const method: Method = (...args) => methods[name](...args);
      try {
        return await this.subscribe(binding, method, group);
      } catch (error) {
        throw new Error(`cannot subscribe ${instance.constructor.name}.${name} to ${subjectOf(binding)}: ${(error as Error).message}`, { cause: error });
      }
    });
  }

  private subscribe(binding: HandlerBinding, method: Method, group: string): Promise<Subscription> {
    const call = async (...args: unknown[]) => void (await method(...args));
    switch (binding.kind) {
      case 'event':
        return this.pubsub.on(binding.definition, call, { group, ...binding.options });
      case 'tracking':
        return this.pubsub.subscribeEvent(binding.pattern, call, { group, ...binding.options });
      case 'message':
        return this.pubsub.subscribe(binding.subject, call, { group, ...binding.options });
      case 'request':
        // Responders are not consumer groups: every replica of the service shares its requests.
        return this.pubsub.reply(binding.definition, (payload, message) => method(payload, message) as never, binding.options);
    }
  }
}

/** `NotifyDeploymentOwnerHandler` → `notify-deployment-owner`: the handler's part of its group name. */
export function handlerName(className: string): string {
  return className
    .replace(/(Handler|Controller|Service|Listener)$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

function subjectOf(binding: HandlerBinding): string {
  return binding.kind === 'tracking' ? `tracking.${binding.pattern}` : binding.kind === 'message' ? binding.subject : binding.definition.subject;
}

/** Two methods of one class on one subject would share a group and split its messages between them. */
function assertOneHandlerPerSubject(className: string, bound: Array<{ name: string; binding: HandlerBinding }>): void {
  const seen = new Map<string, string>();
  for (const { name, binding } of bound) {
    if (binding.kind === 'request' || binding.options?.group) continue;
    const subject = subjectOf(binding);
    const other = seen.get(subject);
    if (other) throw new Error(`${className}.${name} and .${other} both handle ${subject} in one group: move one to its own class or give it a group`);
    seen.set(subject, name);
  }
}
