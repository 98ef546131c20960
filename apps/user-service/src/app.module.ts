import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, type DatabaseOptions } from '@mediamagic/database';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { PubSubModule, type PubSubModuleOptions } from '@mediamagic/pubsub';
import { AuthenticateUserHandler } from './authenticate-user/authenticate-user.handler';
import type { UserServiceConfig } from './config';
import { GetUserHandler } from './get-user/get-user.handler';
import { MIGRATIONS } from './migrations';
import { RegisterUserHandler } from './register-user/register-user.handler';
import { VerificationLinks } from './users/verification-token';
import { VerifyEmailHandler } from './verify-email/verify-email.handler';

export const SERVICE = 'user-service';

/** What main.ts derives from the environment; tests pass a memory transport and a throwaway database. */
export interface Infrastructure {
  pubsub: PubSubModuleOptions;
  database: DatabaseOptions;
  /** The base of the links in verification emails (`PUBLIC_URL`). */
  publicUrl: string;
}

export function infrastructureFrom(config: UserServiceConfig): Infrastructure {
  return {
    pubsub: { service: SERVICE, natsAddr: config.NATS_ADDR, streams: DOMAIN_STREAMS },
    database: { url: config.DATABASE_URL, directory: `${config.DATA_DIR}/${SERVICE}/db`, migrations: MIGRATIONS },
    publicUrl: config.PUBLIC_URL,
  };
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      // DatabaseModule first: it then closes after PubSubModule has drained the handlers that use it.
      imports: [DatabaseModule.forRoot(infrastructure.database), PubSubModule.forRoot(infrastructure.pubsub)],
      providers: [
        { provide: VerificationLinks, useValue: new VerificationLinks(infrastructure.publicUrl) },
        RegisterUserHandler,
        VerifyEmailHandler,
        AuthenticateUserHandler,
        GetUserHandler,
      ],
    };
  }
}
