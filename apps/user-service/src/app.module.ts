import { Module, type DynamicModule } from '@nestjs/common';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { OutboxModule } from '@mediamagic/messaging';
import { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from '@mediamagic/runtime';
import { AuthenticateUserHandler } from './authenticate-user/authenticate-user.handler';
import type { UserServiceConfig } from './config';
import { GetUserHandler } from './get-user/get-user.handler';
import { IssueVerificationLinkHandler } from './issue-verification-link/issue-verification-link.handler';
import { MIGRATIONS } from './migrations';
import { RegisterUserHandler } from './register-user/register-user.handler';
import { PasswordQueue, passwordQueueSettings, type PasswordQueueSettings } from './users/password-queue';
import { VerificationLinks } from './users/verification-token';
import { VerifyEmailHandler } from './verify-email/verify-email.handler';

export const SERVICE = 'user-service';

/** What main.ts derives from the environment; tests pass a memory transport and a throwaway database. */
export interface Infrastructure extends ServiceInfrastructure {
  /** The base of the links in verification emails (`PUBLIC_URL`). */
  publicUrl: string;
  /** How many passwords are hashed at once, and how many may wait (`SCRYPT_CONCURRENCY`). */
  passwordQueue: PasswordQueueSettings;
}

export function infrastructureFrom(config: UserServiceConfig): Infrastructure {
  return {
    ...serviceInfrastructure(SERVICE, config, { migrations: MIGRATIONS, streams: DOMAIN_STREAMS }),
    publicUrl: config.PUBLIC_URL,
    passwordQueue: passwordQueueSettings(config.SCRYPT_CONCURRENCY),
  };
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: [...infrastructureModules(infrastructure), OutboxModule.forRoot()],
      providers: [
        { provide: VerificationLinks, useValue: new VerificationLinks(infrastructure.publicUrl) },
        { provide: PasswordQueue, useValue: new PasswordQueue(infrastructure.passwordQueue) },
        RegisterUserHandler,
        VerifyEmailHandler,
        AuthenticateUserHandler,
        GetUserHandler,
        IssueVerificationLinkHandler,
      ],
    };
  }
}
