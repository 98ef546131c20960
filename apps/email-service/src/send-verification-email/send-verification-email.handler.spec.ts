import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRegistered } from '@mediamagic/contracts';
import { startSmtpServer, waitFor, type SmtpServer } from '@mediamagic/testing';
import PostalMime, { type Email } from 'postal-mime';
import { startEmailService, userRegistered, type EmailService } from '../testing/email-service.suite';

describe('send verification email, without SMTP_URL: .eml files', () => {
  let directory: string;
  let service: EmailService;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'email-service-'));
    service = await startEmailService({ directory });
  });
  afterAll(async () => {
    await service?.close();
    await rm(directory, { recursive: true, force: true });
  });

  /** The mail folder as a person would open it: every .eml file, parsed. */
  async function mailFolder(): Promise<Email[]> {
    const files = (await readdir(directory).catch(() => [])).filter((file) => file.endsWith('.eml'));
    return Promise.all(files.map(async (file) => PostalMime.parse(await readFile(join(directory, file)))));
  }
  const emailsFor = async (eventId: string) => (await mailFolder()).filter((email) => email.messageId === `<${eventId}@mediamagic>`);

  it('writes the verification email with the link from the event to the new user', async () => {
    const user = userRegistered('grace@example.com');
    const eventId = await service.platform.emit(UserRegistered, user);

    const [email] = await waitFor(() => emailsFor(eventId).then((emails) => emails.length > 0 && emails), { message: 'the .eml file' });
    expect(email.to).toEqual([{ address: 'grace@example.com', name: '' }]);
    expect(email.from).toEqual({ address: 'no-reply@mediamagic.test', name: 'Media Magic' });
    expect(email.subject).toBe('Verify your email address for Media Magic');
    expect(email.text).toContain('Hello Ada,');
    expect(email.text).toContain(user.verificationUrl);
    expect(email.html).toContain(`<a href="${user.verificationUrl}">`);
  });

  it('writes one email per event however often it is delivered, and tracks it as email.sent once', async () => {
    // Every delivery reaches the handler twice (duplicator middleware), as a redelivery would.
    const first = await service.platform.emit(UserRegistered, userRegistered('linus@example.com'));
    const second = await service.platform.emit(UserRegistered, userRegistered('linus@example.com'));
    // One event at a time, in order: once the second email is there, the first event is done with.
    await waitFor(() => emailsFor(second).then((emails) => emails.length > 0), { message: 'the second email' });

    expect(await emailsFor(first)).toHaveLength(1);
    await waitFor(() => service.tracked.some((event) => event.id === `email.sent:${second}`), { message: 'the email.sent of the second' });
    const tracked = service.tracked.filter((event) => event.id === `email.sent:${first}`);
    expect(tracked).toEqual([expect.objectContaining({ name: 'email.sent', source: 'email-service', count: 1, labels: { template: 'verify-email' } })]);
  });
});

describe('send verification email over SMTP', () => {
  let inbox: SmtpServer;
  let service: EmailService;

  beforeAll(async () => {
    inbox = await startSmtpServer();
    service = await startEmailService({ smtpUrl: inbox.url });
  });
  afterAll(async () => {
    await service?.close();
    await inbox?.stop();
  });

  it('delivers the verification email with the link to the SMTP server, once', async () => {
    const user = userRegistered('margaret@example.com');
    const eventId = await service.platform.emit(UserRegistered, user);

    const email = await waitFor(() => inbox.messages.find((message) => message.messageId === `<${eventId}@mediamagic>`), {
      message: 'the verification email in the SMTP inbox',
    });
    expect(email.to).toEqual([{ address: 'margaret@example.com', name: '' }]);
    expect(email.subject).toBe('Verify your email address for Media Magic');
    expect(email.text).toContain(user.verificationUrl);
    await waitFor(() => service.tracked.some((event) => event.id === `email.sent:${eventId}`), { message: 'email.sent' });
    expect(inbox.messages.filter((message) => message.messageId === `<${eventId}@mediamagic>`)).toHaveLength(1);
  });
});
