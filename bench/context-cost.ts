/**
 * What `propagateContext` costs, to choose its default: one process handles N messages through the
 * in-memory broker, each handler awaiting a few promises as real handlers do, with the context
 * propagated by AsyncLocalStorage (`on`) or passed explicitly (`off`). Separate processes, because
 * on Node 20 the first use of AsyncLocalStorage slows every promise of the process from then on.
 *
 *   npx tsx --tsconfig bench/tsconfig.run.json bench/context-cost.ts on|off [messages]
 *   farm-bench --vs '<same with off>' -- <same with on>
 */
import { PubSub } from '@mediamagic/pubsub';
import { MemoryBroker, MemoryTransport } from '@mediamagic/pubsub/testing';

const mode = process.argv[2];
if (mode !== 'on' && mode !== 'off') throw new Error('usage: context-cost.ts on|off [messages]');
const messages = Number(process.argv[3] ?? 100_000);
const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

const broker = new MemoryBroker();
const pubsub = new PubSub({ service: 'bench-context', transport: new MemoryTransport(broker), propagateContext: mode === 'on', logger: quiet });
let handled = 0;
let done!: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));
await pubsub.subscribe(
  'bench.context',
  async () => {
    // A handler's own awaits (a query, a publish): each promise pays the async hooks when they are on.
    for (let i = 0; i < 5; i++) await Promise.resolve(i);
    if (++handled === messages) done();
  },
  { concurrency: 64 },
);
const data = new Uint8Array(64);
const started = process.hrtime.bigint();
for (let i = 0; i < messages; i++) await pubsub.publish('bench.context', data);
await finished;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`propagateContext ${mode}: ${messages} messages in ${seconds.toFixed(2)} s, ${Math.round(messages / seconds)} msg/s`);
await pubsub.close();
