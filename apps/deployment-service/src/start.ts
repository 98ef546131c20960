// The service itself, loaded by main.ts once tracing is set up.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig, startService } from '@mediamagic/runtime';
import { AppModule, infrastructureFrom, SERVICE } from './app.module';
import { DeploymentConfig } from './config';

await startService(SERVICE, async () => {
  const config = loadConfig(DeploymentConfig);
  const app = await NestFactory.createApplicationContext(AppModule.register(infrastructureFrom(config)), { abortOnError: false });
  await app.init();
  return app;
});
