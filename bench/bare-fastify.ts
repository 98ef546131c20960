/**
 * The baseline of part 3: a bare Fastify server in its own process (as the gateway is), with the two routes the
 * gateway is measured on, answering a deployment-shaped JSON without auth, NATS or a database.
 * Run by http.scenario.ts: `node --import tsx bench/bare-fastify.ts` with PORT set; prints "listening" when ready.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
const deployment = (id: string) => ({
  id,
  name: 'chat',
  model: 'llama-3',
  replicas: 1,
  status: 'pending',
  ownerId: '0b9c6f7e-3f7a-4d8e-9a51-2c1d0e6f7a8b',
  createdAt: new Date().toISOString(),
});

app.get<{ Params: { id: string } }>('/deployments/:id', async (request) => deployment(request.params.id));
app.post('/deployments', async (_request, reply) => reply.code(202).send(deployment(randomUUID())));

await app.listen({ port: Number(process.env['PORT']), host: '127.0.0.1' });
console.log('listening');
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
