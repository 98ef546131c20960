import { Inject, Injectable } from '@nestjs/common';
import { DeploymentCreated, DeploymentFailed, DeploymentSucceeded } from '@mediamagic/contracts';
import { type Message, type PayloadOf } from '@mediamagic/pubsub';
import { OnEvent } from '@mediamagic/pubsub/nest';
import { EmailSender, MAIL_SUBSCRIPTION } from '../mail/email-sender';
import { deploymentCreated, deploymentFailed, deploymentSucceeded } from '../templates';

// An email, once sent, has left the platform: a replayed event must not send it again, even on an empty database.
const EMAIL = { ...MAIL_SUBSCRIPTION, effects: 'external' } as const;

/** Tells a deployment's owner when it was created, is running, or failed: provisioning takes minutes. */
@Injectable()
export class NotifyDeploymentOwnerHandler {
  constructor(@Inject(EmailSender) private readonly sender: EmailSender) {}

  @OnEvent(DeploymentCreated, EMAIL)
  async created(deployment: PayloadOf<typeof DeploymentCreated>, message: Message): Promise<void> {
    await this.sender.sendOnce(message, deploymentCreated(deployment));
  }

  @OnEvent(DeploymentSucceeded, EMAIL)
  async succeeded(deployment: PayloadOf<typeof DeploymentSucceeded>, message: Message): Promise<void> {
    await this.sender.sendOnce(message, deploymentSucceeded(deployment));
  }

  @OnEvent(DeploymentFailed, EMAIL)
  async failed(deployment: PayloadOf<typeof DeploymentFailed>, message: Message): Promise<void> {
    await this.sender.sendOnce(message, deploymentFailed(deployment));
  }
}
