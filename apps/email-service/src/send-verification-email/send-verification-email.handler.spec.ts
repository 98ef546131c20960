import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserRegistered } from '@mediamagic/contracts';
import { startSmtpServer, waitFor, type SmtpServer } from '@mediamagic/testing';
import PostalMime, { type Email } from 'postal-mime';
import { startEmailService, userRegistered, type EmailService } from '../testing/email-service.suite';

/** The link in a verification email's text. */
const linkIn = (text = '') => /https?:\/\/\S+\/verify\?token=[\w-]+/.exec(text)?.[0];

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

  it('writes the verification email to the new user, with a link user-service issued for them', async () => {
    const user = userRegistered('grace@example.com');
    const eventId = await service.platform.emit(UserRegistered, user);

    const [email] = await waitFor(() => emailsFor(eventId).then((emails) => emails.length > 0 && emails), { message: 'the .eml file' });
    expect(email.to).toEqual([{ address: 'grace@example.com', name: '' }]);
    expect(email.from).toEqual({ address: 'no-reply@mediamagic.test', name: 'Media Magic' });
    expect(email.subject).toBe('Verify your email address for Media Magic');
    expect(email.text).toContain('Hello Ada,');
    const link = linkIn(email.text);
    expect(service.users.linksOf(user.userId)).toContain(link);
    expect(email.html).toContain(`<a href="${link}">`);
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

  const received = (eventId: string) => inbox.messages.filter((message) => message.messageId === `<${eventId}@mediamagic>`);
  const emailFor = (eventId: string) => waitFor(() => received(eventId)[0], { message: `the verification email of event ${eventId} in the SMTP inbox` });

  it('delivers the verification email with a link user-service issued for the user, once', async () => {
    const user = userRegistered('margaret@example.com');
    const eventId = await service.platform.emit(UserRegistered, user);

    const email = await emailFor(eventId);
    expect(email.to).toEqual([{ address: 'margaret@example.com', name: '' }]);
    expect(email.subject).toBe('Verify your email address for Media Magic');
    expect(service.users.linksOf(user.userId)).toContain(linkIn(email.text));
    await waitFor(() => service.tracked.some((event) => event.id === `email.sent:${eventId}`), { message: 'email.sent' });
    expect(received(eventId)).toHaveLength(1);
  });

  it('gives an event published before the upgrade (version 1, a link inside) a new link, never the one it carried', async () => {
    const stale = 'http://localhost:3000/verify?token=read-from-the-stream';
    const user = userRegistered('barbara@example.com');
    const body = new TextEncoder().encode(JSON.stringify({ ...user, verificationUrl: stale }));
    const eventId = await service.platform.publish(UserRegistered.subject, body, { delivery: 'at-least-once', contentType: 'application/json' });

    const email = await emailFor(eventId);
    expect(email.text).not.toContain(stale);
    expect(service.users.linksOf(user.userId)).toContain(linkIn(email.text));
  });

  it('retries while user-service cannot issue the link, then sends the email once', async () => {
    const user = userRegistered('frances@example.com');
    service.users.unavailable.set(user.userId, 1);
    const eventId = await service.platform.emit(UserRegistered, user);

    const email = await emailFor(eventId);
    expect(service.users.linksOf(user.userId)).toContain(linkIn(email.text));
    expect(service.deadLetters.find((letter) => letter.eventId === eventId)).toBeUndefined();
    expect(received(eventId)).toHaveLength(1);
  });

  it('sends nothing for a user who verified already (a replayed event), and dead-letters nothing', async () => {
    const replayed = userRegistered('hedy@example.com');
    service.users.verified.add(replayed.userId);
    const replayedId = await service.platform.emit(UserRegistered, replayed);
    // Both runs of the delivery (duplicator) asked and were refused; a later event's email shows the handler moved on.
    await waitFor(() => service.users.asked.filter((userId) => userId === replayed.userId).length >= 2, { message: 'both requests for a link' });
    await emailFor(await service.platform.emit(UserRegistered, userRegistered('hedy.later@example.com')));

    expect(received(replayedId)).toEqual([]);
    expect(inbox.to('hedy@example.com')).toEqual([]);
    expect(service.deadLetters.find((letter) => letter.eventId === replayedId)).toBeUndefined();
    expect(service.tracked.filter((event) => event.id === `email.sent:${replayedId}`)).toEqual([]);
  });

  it('dead-letters the event of a user user-service does not know, with the reason, at once', async () => {
    const user = userRegistered('nobody.known@example.com');
    service.users.unknown.add(user.userId);
    const eventId = await service.platform.emit(UserRegistered, user);

    const letter = await waitFor(() => service.deadLetters.find((dead) => dead.eventId === eventId), { message: 'the dead letter' });
    expect(letter).toMatchObject({ subject: 'user.registered', group: 'email-service.send-verification-email', attempts: 1 });
    expect(letter.reason).toContain('user not found');
    expect(received(eventId)).toEqual([]);
  });
});
