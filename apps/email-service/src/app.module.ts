import { Module, type DynamicModule } from '@nestjs/common';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { DatabaseModule, type DatabaseOptions } from '@mediamagic/database';
import { PubSubModule, type PubSubModuleOptions } from '@mediamagic/pubsub';
import type { EmailConfig } from './config';
import { EmailSender } from './mail/email-sender';
import { createMailer, Mailer, type MailOptions } from './mail/mailer';
import { MIGRATIONS } from './migrations';
import { NotifyDeploymentOwnerHandler } from './notify-deployment-owner/notify-deployment-owner.handler';
import { SendVerificationEmailHandler } from './send-verification-email/send-verification-email.handler';

export const SERVICE = 'email-service';

/** What main.ts derives from the environment; tests pass a memory transport, a throwaway database and their own mail setup. */
export interface Infrastructure {
  pubsub: PubSubModuleOptions;
  database: DatabaseOptions;
  mail: MailOptions;
}

export function infrastructureFrom(config: EmailConfig): Infrastructure {
  return {
    pubsub: { service: SERVICE, natsAddr: config.NATS_ADDR, streams: DOMAIN_STREAMS },
    database: { url: config.DATABASE_URL, directory: `${config.DATA_DIR}/${SERVICE}/db`, migrations: MIGRATIONS },
    mail: { from: config.MAIL_FROM, smtpUrl: config.SMTP_URL, directory: `${config.DATA_DIR}/${SERVICE}/mail` },
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
        { provide: Mailer, useFactory: () => createMailer(infrastructure.mail) },
        EmailSender,
        SendVerificationEmailHandler,
        NotifyDeploymentOwnerHandler,
      ],
    };
  }
}
