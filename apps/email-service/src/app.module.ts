import { Module, type DynamicModule } from '@nestjs/common';
import { DOMAIN_STREAMS } from '@mediamagic/contracts';
import { ProcessedEvents } from '@mediamagic/messaging';
import { infrastructureModules, serviceInfrastructure, type ServiceInfrastructure } from '@mediamagic/runtime';
import type { EmailConfig } from './config';
import { EmailSender } from './mail/email-sender';
import { createMailer, Mailer, type MailOptions } from './mail/mailer';
import { MIGRATIONS } from './migrations';
import { NotifyDeploymentOwnerHandler } from './notify-deployment-owner/notify-deployment-owner.handler';
import { SendVerificationEmailHandler } from './send-verification-email/send-verification-email.handler';

export const SERVICE = 'email-service';

/** What main.ts derives from the environment; tests pass a memory transport, a throwaway database and their own mail setup. */
export interface Infrastructure extends ServiceInfrastructure {
  mail: MailOptions;
}

export function infrastructureFrom(config: EmailConfig): Infrastructure {
  return {
    ...serviceInfrastructure(SERVICE, config, { migrations: MIGRATIONS, streams: DOMAIN_STREAMS }),
    mail: { from: config.MAIL_FROM, smtpUrl: config.SMTP_URL, directory: `${config.DATA_DIR}/${SERVICE}/mail` },
  };
}

@Module({})
export class AppModule {
  static register(infrastructure: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: infrastructureModules(infrastructure),
      providers: [
        { provide: Mailer, useFactory: () => createMailer(infrastructure.mail) },
        ProcessedEvents,
        EmailSender,
        SendVerificationEmailHandler,
        NotifyDeploymentOwnerHandler,
      ],
    };
  }
}
