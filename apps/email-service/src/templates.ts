import type { DeploymentCreated, DeploymentFailed, DeploymentSucceeded, UserRegistered } from '@mediamagic/contracts';
import type { PayloadOf } from '@mediamagic/pubsub';

export type TemplateName = 'verify-email' | 'deployment-created' | 'deployment-succeeded' | 'deployment-failed';

/** An email as composed from an event, before it gets its sender and Message-ID. */
export interface Email {
  readonly template: TemplateName;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

type Paragraph = string | { link: string };

/** `verificationUrl` comes from user-service when the email is sent: the event carries no link. */
export function verifyEmail(user: PayloadOf<typeof UserRegistered>, verificationUrl: string): Email {
  return compose('verify-email', user.email, 'Verify your email address for Media Magic', [
    `Hello ${user.name},`,
    'welcome to Media Magic! Please confirm your email address by opening this link:',
    { link: verificationUrl },
    'The link works once and expires in 24 hours. If you did not register, you can ignore this email.',
  ]);
}

export function deploymentCreated(deployment: PayloadOf<typeof DeploymentCreated>): Email {
  const replicas = deployment.replicas === 1 ? '1 replica' : `${deployment.replicas} replicas`;
  return compose('deployment-created', deployment.ownerEmail, `Your deployment ${deployment.name} is being provisioned`, [
    'Hello,',
    `your deployment ${deployment.name} (model ${deployment.model}, ${replicas}) was created and is being provisioned.`,
    'We will email you again when it is running.',
  ]);
}

export function deploymentSucceeded(deployment: PayloadOf<typeof DeploymentSucceeded>): Email {
  return compose('deployment-succeeded', deployment.ownerEmail, `Your deployment ${deployment.name} is running`, [
    'Hello,',
    `your deployment ${deployment.name} (model ${deployment.model}) is running.`,
  ]);
}

export function deploymentFailed(deployment: PayloadOf<typeof DeploymentFailed>): Email {
  return compose('deployment-failed', deployment.ownerEmail, `Your deployment ${deployment.name} failed`, [
    'Hello,',
    `your deployment ${deployment.name} (model ${deployment.model}) could not be provisioned.`,
    `Reason: ${deployment.reason}`,
  ]);
}

function compose(template: TemplateName, to: string, subject: string, paragraphs: Paragraph[]): Email {
  const text = paragraphs.map((p) => (typeof p === 'string' ? p : p.link)).join('\n\n');
  // Names and reasons come from users: escaped, so they show as text and never as markup.
  const html = paragraphs
    .map((p) => (typeof p === 'string' ? `<p>${escapeHtml(p)}</p>` : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>`))
    .join('\n');
  return { template, to, subject, text: `${text}\n\n-- \nMedia Magic\n`, html };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
