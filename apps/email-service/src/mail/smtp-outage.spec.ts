import { Logger } from '@nestjs/common';
import { DeploymentCreated } from '@mediamagic/contracts';
import { startSmtpServer, waitFor, type SmtpServer } from '@mediamagic/testing';
import { deployment, startEmailService, type EmailService } from '../testing/email-service.suite';
import { MAIL_RETRY } from './email-sender';

describe('an SMTP server that will not serve', () => {
  let inbox: SmtpServer;
  let service: EmailService;

  beforeAll(async () => {
    inbox = await startSmtpServer((address) => {
      if (address === 'nobody@example.com') return { code: 550, message: '5.1.1 <nobody@example.com>: mailbox unavailable' };
      if (address === 'spam@example.com') return { code: 554, message: '5.7.1 message content rejected', at: 'DATA' };
      return undefined;
    });
    // A silent server is given up on in half a second, not ten.
    service = await startEmailService({ smtpUrl: inbox.url, timeouts: { connectionTimeout: 500, greetingTimeout: 500, socketTimeout: 500 } });
  });
  afterAll(async () => {
    await service?.close();
    await inbox?.stop();
  });

  const notify = (ownerEmail: string) =>
    service.platform.emit(DeploymentCreated, { ...deployment(ownerEmail), replicas: 1, createdAt: new Date().toISOString() });
  const received = (eventId: string) => inbox.messages.filter((message) => message.messageId === `<${eventId}@mediamagic>`);
  const deadLetterOf = (eventId: string) => service.deadLetters.find((letter) => letter.eventId === eventId);

  it.each(['closed', 'reset', 'greeting-421', 'greeting-554', 'silent', 'bad-tls'] as const)(
    '%s: the email is retried, not dead-lettered, and delivered once the server is back',
    async (outage) => {
      // The service's log (PubSub's Nest logger), where an operator sees the retries.
      const warn = vi.spyOn(Logger.prototype, 'warn');
      await inbox.refuseConnections(outage);
      const eventId = await notify(`${outage}@example.com`);
      try {
        await waitFor(() => warn.mock.calls.some(([line]) => /deployment\.created .*failed on attempt 1, retry in/.test(String(line))), {
          message: 'a failed attempt, to be retried',
        });
      } finally {
        warn.mockRestore();
        await inbox.acceptConnections();
      }

      await waitFor(() => received(eventId).length > 0, { message: 'the email, once the server is back' });
      expect(deadLetterOf(eventId)).toBeUndefined();
      expect(received(eventId)).toHaveLength(1);
    },
  );

  it.each([
    ['a mailbox that does not exist', 'nobody@example.com', '550 5.1.1 <nobody@example.com>: mailbox unavailable'],
    ['a message refused after DATA', 'spam@example.com', '554 5.7.1 message content rejected'],
  ])('%s is dead-lettered at once, with the server answer', async (_case, to, answer) => {
    const eventId = await notify(to);

    const letter = await waitFor(() => deadLetterOf(eventId), { message: 'the dead letter' });
    expect(letter).toMatchObject({ subject: 'deployment.created', attempts: 1 });
    expect(letter.reason).toContain(answer);
    expect(received(eventId)).toEqual([]);
  });
});

describe('the retry policy of emails', () => {
  it('waits out an SMTP outage of half an hour, and uses a server that is back within five minutes', () => {
    // The library's backoff: before each attempt after the first, a delay that doubles up to maxDelayMs.
    const delays = Array.from({ length: MAIL_RETRY.maxAttempts - 1 }, (_, i) => Math.min(MAIL_RETRY.maxDelayMs, MAIL_RETRY.initialDelayMs * 2 ** i));
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThan(30 * 60_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5 * 60_000);
  });
});
