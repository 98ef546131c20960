import { DeploymentCreated, DeploymentFailed, DeploymentSucceeded } from '@mediamagic/contracts';
import { startSmtpServer, waitFor, type SmtpServer } from '@mediamagic/testing';
import { deployment, startEmailService, type EmailService } from '../testing/email-service.suite';

describe('notify deployment owner over SMTP', () => {
  let inbox: SmtpServer;
  let service: EmailService;

  beforeAll(async () => {
    inbox = await startSmtpServer((address, attempt) => {
      if (address === 'nobody@example.com') return { code: 550, message: '5.1.1 <nobody@example.com>: mailbox unavailable' };
      if (address === 'flaky@example.com' && attempt === 1) return { code: 451, message: '4.3.0 try again later' };
      return undefined;
    });
    service = await startEmailService({ smtpUrl: inbox.url });
  });
  afterAll(async () => {
    await service?.close();
    await inbox?.stop();
  });

  const received = (eventId: string) => inbox.messages.filter((message) => message.messageId === `<${eventId}@mediamagic>`);
  const emailFor = (eventId: string) => waitFor(() => received(eventId)[0], { message: `the email for event ${eventId}` });

  it('tells the owner a new deployment is being provisioned', async () => {
    const created = { ...deployment('ada@example.com'), replicas: 2, createdAt: new Date().toISOString() };
    const email = await emailFor(await service.platform.emit(DeploymentCreated, created));

    expect(email.to).toEqual([{ address: 'ada@example.com', name: '' }]);
    expect(email.from).toEqual({ address: 'no-reply@mediamagic.test', name: 'Media Magic' });
    expect(email.subject).toBe(`Your deployment ${created.name} is being provisioned`);
    expect(email.text).toContain(`${created.name} (model llama-3-8b, 2 replicas) was created`);
  });

  it('publishes email.sent with the correlation id and idempotency key of the event, caused by it', async () => {
    const created = { ...deployment('ada@example.com'), replicas: 1, createdAt: new Date().toISOString() };
    const eventId = await service.platform.emit(DeploymentCreated, created, { context: { correlationId: 'request-7', idempotencyKey: 'deploy-7' } });

    const sent = await waitFor(() => service.trackedMessages.find((message) => message.id === `email.sent:${eventId}`), { message: 'email.sent' });
    expect(sent).toMatchObject({ correlationId: 'request-7', idempotencyKey: 'deploy-7' });
    expect(sent.headers['ce-causationid']).toBe(eventId);
  });

  it('tells the owner the deployment is running', async () => {
    const succeeded = { ...deployment('ada@example.com'), succeededAt: new Date().toISOString() };
    const email = await emailFor(await service.platform.emit(DeploymentSucceeded, succeeded));

    expect(email.to).toEqual([{ address: 'ada@example.com', name: '' }]);
    expect(email.subject).toBe(`Your deployment ${succeeded.name} is running`);
    expect(email.text).toContain(`${succeeded.name} (model llama-3-8b) is running`);
  });

  it('tells the owner the deployment failed, and why', async () => {
    const failed = { ...deployment('ada@example.com'), reason: 'no GPU <a100> available', failedAt: new Date().toISOString() };
    const eventId = await service.platform.emit(DeploymentFailed, failed);
    const email = await emailFor(eventId);

    expect(email.subject).toBe(`Your deployment ${failed.name} failed`);
    expect(email.text).toContain('Reason: no GPU <a100> available');
    expect(email.html).toContain('Reason: no GPU &#60;a100&#62; available');
    await waitFor(() => service.tracked.find((event) => event.id === `email.sent:${eventId}`), { message: 'email.sent' });
    expect(service.tracked.filter((event) => event.id === `email.sent:${eventId}`)).toEqual([
      expect.objectContaining({ name: 'email.sent', labels: { template: 'deployment-failed' } }),
    ]);
    expect(received(eventId)).toHaveLength(1);
  });

  it('sends nothing for a replayed event (npm run replay): the email left the platform the first time', async () => {
    const first = await service.platform.emit(DeploymentCreated, { ...deployment('replayed@example.com'), replicas: 1, createdAt: new Date().toISOString() });
    await emailFor(first);
    expect(service.broker.replay('email-service')).toBeGreaterThan(0);
    // Queued after the replayed events: once its email is in, they were handled.
    const marker = await service.platform.emit(DeploymentCreated, { ...deployment('marker@example.com'), replicas: 1, createdAt: new Date().toISOString() });
    await emailFor(marker);
    expect(received(first)).toHaveLength(1);
    expect(inbox.messages.filter((message) => message.to?.some((to) => to.address === 'replayed@example.com'))).toHaveLength(1);
  });

  it('retries a temporary SMTP refusal until the email goes through', async () => {
    const eventId = await service.platform.emit(DeploymentSucceeded, { ...deployment('flaky@example.com'), succeededAt: new Date().toISOString() });

    const email = await emailFor(eventId);
    expect(email.to).toEqual([{ address: 'flaky@example.com', name: '' }]);
    expect(service.deadLetters.find((letter) => letter.eventId === eventId)).toBeUndefined();
  });

  it('dead-letters an event whose email the SMTP server rejects for good (550), with the reason', async () => {
    const eventId = await service.platform.emit(DeploymentCreated, { ...deployment('nobody@example.com'), replicas: 1, createdAt: new Date().toISOString() });

    const letter = await waitFor(() => service.deadLetters.find((dead) => dead.eventId === eventId), { message: 'the dead letter' });
    expect(letter).toMatchObject({ subject: 'deployment.created', group: 'email-service.notify-deployment-owner', attempts: 1 });
    expect(letter.reason).toContain('550 5.1.1 <nobody@example.com>: mailbox unavailable');
    expect(received(eventId)).toEqual([]);
    expect(service.tracked.filter((event) => event.id === `email.sent:${eventId}`)).toEqual([]);
  });
});
