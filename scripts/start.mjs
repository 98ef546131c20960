// `npm start`: runs the platform locally. It uses the NATS at NATS_ADDR; when nothing answers there,
// it starts a local nats-server with JetStream (store in DATA_DIR), or says how to install one.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';

const natsAddr = process.env.NATS_ADDR ?? 'nats://127.0.0.1:4222';
const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const { hostname, port } = new URL(natsAddr.split(',')[0].trim());

const reachable = await new Promise((done) => {
  const socket = connect({ host: hostname, port: Number(port || 4222) });
  socket.once('connect', () => (socket.destroy(), done(true)));
  socket.once('error', () => done(false));
});

if (reachable) {
  console.log(`NATS answers at ${natsAddr}; using it.`);
} else {
  const binary = ['nats-server', '/usr/sbin/nats-server'].find((bin) => spawnSync(bin, ['--version']).status === 0);
  if (!binary) {
    console.error(`Nothing answers at ${natsAddr} and nats-server is not installed.
Install it (Debian/Ubuntu: sudo apt-get install -y nats-server; macOS: brew install nats-server),
or point NATS_ADDR at a running NATS with JetStream.`);
    process.exit(1);
  }
  mkdirSync(resolve(dataDir, 'nats'), { recursive: true });
  console.log(`Starting nats-server with JetStream on ${hostname}:${port || 4222} (store: ${dataDir}/nats).`);
  const server = spawn(binary, ['-a', hostname, '-p', String(port || 4222), '-js', '-sd', resolve(dataDir, 'nats')], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
  server.on('exit', (code) => process.exit(code ?? 0));
}
