export { freePort } from './lib/free-port';
export { startNatsServer, type NatsServer } from './lib/nats-server';
export { waitFor } from './lib/wait-for';
