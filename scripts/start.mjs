// `npm start`: builds and runs the services of services.json locally, with their output prefixed by name.
// It uses the NATS at NATS_ADDR; when nothing answers there, it starts a local nats-server with
// JetStream (store in DATA_DIR), or says how to install one. Ctrl-C stops everything cleanly.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { services } from './services.mjs';

const natsAddr = process.env.NATS_ADDR ?? 'nats://127.0.0.1:4222';
const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const { hostname, port: natsPort } = new URL(natsAddr.split(',')[0].trim());
const natsHost = { host: hostname, port: Number(natsPort || 4222) };

const answers = () =>
  new Promise((done) => {
    const socket = connect(natsHost);
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });

const children = [];
let stopping = false;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  // Services first, so they drain into a broker that is still there; the broker last.
  const services = children.filter((child) => child.name !== 'nats-server');
  Promise.all(services.map((child) => new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', done), child.kill('SIGTERM')))))).then(() =>
    children.find((child) => child.name === 'nats-server')?.kill('SIGTERM'),
  );
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll(0));

function run(name, command, args, env = process.env) {
  // A process group of its own: Ctrl-C reaches this script only, which then stops each child once.
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.name = name;
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`${name.padEnd(18)} | ${line}`));
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${name} stopped (${signal ?? `exit ${code}`}); stopping the platform.`);
      stopAll(1);
    }
  });
  return child;
}

if (await answers()) {
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
  console.log(`Starting nats-server with JetStream on ${natsHost.host}:${natsHost.port} (store: ${dataDir}/nats).`);
  run('nats-server', binary, ['-a', natsHost.host, '-p', String(natsHost.port), '-js', '-sd', resolve(dataDir, 'nats')]);
  const deadline = Date.now() + 10_000;
  while (!(await answers())) {
    if (Date.now() > deadline) {
      console.error('nats-server did not start listening within 10 s.');
      stopAll(1);
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (!stopping) {
  console.log('Building the services (cached when nothing changed)...');
  const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', `--projects=${services.map(({ name }) => name).join(',')}`, '--outputStyle=static'], {
    stdio: 'inherit',
  });
  if (build.status !== 0) stopAll(1);
}
if (!stopping) {
  // The services write JSON lines when their output is not a terminal, as here (a pipe): a person at a terminal reads them pretty.
  const logFormat = process.stdout.isTTY ? { LOG_FORMAT: 'pretty' } : {};
  for (const { name, main } of services) run(name, process.execPath, ['--enable-source-maps', main], { ...logFormat, ...process.env, NATS_ADDR: natsAddr });
  console.log(`The API will answer at http://localhost:${process.env.PORT ?? 3000} (OpenAPI UI at /docs). Ctrl-C stops.`);
}
