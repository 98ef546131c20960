import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, type Infrastructure } from './app.module';
import { setUpDocs } from './docs/docs';
import { createHttpAdapter } from './http/http-adapter';

/** The whole HTTP application, not yet listening: main.ts and the tests start the same one. */
export async function createGateway(infrastructure: Infrastructure, options?: NestApplicationOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(infrastructure), createHttpAdapter(infrastructure.config), options);
  setUpDocs(app);
  return app;
}
