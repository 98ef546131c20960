import { connect } from '@nats-io/transport-node';
import { createPubSub, startNatsServer } from './deps';
import { now, rate, sleep, yieldToLoop } from './harness';
const N = 100_000;
async function run(url: string, name: string, mode: string) {
  const data = new Uint8Array(256).fill(97);
  let a = 0, b = 0, last = 0;
  let pub: (d: Uint8Array) => any; let close: () => Promise<void>;
  if (name === 'lib') {
    const ps = await createPubSub({ service: 'x', natsAddr: url });
    await ps.subscribe('e.x', async () => { a++; last = now(); }, { group: 'a' });
    await ps.subscribe('e.x', async () => { b++; last = now(); }, { group: 'b' });
    pub = (d) => ps.publish('e.x', d); close = () => ps.close();
  } else {
    const nc = await connect({ servers: url });
    nc.subscribe('e.x', { queue: 'a', callback: () => { a++; last = now(); } });
    nc.subscribe('e.x', { queue: 'b', callback: () => { b++; last = now(); } });
    await nc.flush();
    pub = (d) => nc.publish('e.x', d); close = () => nc.drain();
  }
  await sleep(200);
  const t = now();
  for (let i = 0; i < N; i++) {
    if (mode === 'await') await pub(data); else void pub(data);
    if ((i + 1) % 1000 === 0) await yieldToLoop();
  }
  const pubMs = now() - t;
  while ((a < N || b < N) && now() - t < 30000) await sleep(5);
  console.log(name, mode, 'pub', Math.round(rate(N, pubMs)), 'deliv', Math.round(rate(Math.min(a, b), last - t)), a, b);
  await close();
}
(async () => {
  const s = await startNatsServer();
  for (let r = 0; r < 2; r++) for (const [n, m] of [['raw', 'sync'], ['raw', 'await'], ['lib', 'sync'], ['lib', 'await']]) await run(s.url, n, m);
  await s.dispose(); process.exit(0);
})();
