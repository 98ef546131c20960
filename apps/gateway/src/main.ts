import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig, startService } from '@mediamagic/runtime';
import { infrastructureFrom, SERVICE } from './app.module';
import { GatewayConfig } from './config';
import { createGateway } from './gateway';

await startService(SERVICE, async () => {
  const config = loadConfig(GatewayConfig);
  const app = await createGateway(infrastructureFrom(config), { abortOnError: false });
  // Every interface: in a container the port is reached from outside.
  await app.listen(config.PORT, '0.0.0.0');
  new Logger(SERVICE).log(`listening on http://0.0.0.0:${config.PORT} (API docs at /docs)`);
  return app;
});
