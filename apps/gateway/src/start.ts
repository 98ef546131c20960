// The gateway itself, loaded by main.ts once tracing is set up.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig, observed, startService } from '@mediamagic/runtime';
import { infrastructureFrom, SERVICE } from './app.module';
import { GatewayConfig } from './config';
import { createGateway } from './gateway';
import { observeHttp } from './http/http-observability';

await startService(SERVICE, async () => {
  const config = loadConfig(GatewayConfig);
  const infrastructure = infrastructureFrom(config);
  const app = await createGateway({ ...infrastructure, pubsub: observed(infrastructure.pubsub) }, { abortOnError: false });
  observeHttp(app.getHttpAdapter().getInstance());
  // Every interface: in a container the port is reached from outside.
  await app.listen(config.PORT, '0.0.0.0');
  new Logger(SERVICE).log(`listening on http://0.0.0.0:${config.PORT} (API docs at /docs)`);
  return app;
});
