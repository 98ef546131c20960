import nodemailer from 'nodemailer';
import { startSmtpServer, type SmtpServer } from './smtp-server';

describe('startSmtpServer', () => {
  let smtp: SmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer((address, attempt) => {
      if (address === 'nobody@example.com') return { code: 550, message: 'mailbox unavailable' };
      if (address === 'busy@example.com' && attempt === 1) return { code: 451, message: 'try again later' };
      if (address === 'spam@example.com') return { code: 554, message: 'message content rejected', at: 'DATA' };
      return undefined;
    });
  });
  afterAll(() => smtp.stop());

  const send = (to: string, text = 'hello') => nodemailer.createTransport(smtp.url).sendMail({ from: 'a@example.com', to, subject: 'Hello', text });

  it('receives and parses what nodemailer sends', async () => {
    await send('b@example.com', `a long link https://x.example/${'y'.repeat(100)}`);
    expect(smtp.to('b@example.com')).toMatchObject([{ subject: 'Hello', from: { address: 'a@example.com' } }]);
    // The parser undoes the quoted-printable soft line breaks a long line gets.
    expect(smtp.to('b@example.com')[0]!.text).toContain(`https://x.example/${'y'.repeat(100)}`);
  });

  it('hands over the raw message as it accepts it, and parses nothing when told not to', async () => {
    const accepted: Buffer[] = [];
    smtp.onAccepted = (raw) => accepted.push(raw);
    smtp.parse = false;
    try {
      await send('raw@example.com');
    } finally {
      smtp.onAccepted = undefined;
      smtp.parse = true;
    }
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.toString()).toMatch(/^To: raw@example\.com\r$/m);
    expect(smtp.to('raw@example.com')).toHaveLength(0);
  });

  it('refuses recipients as the rule says, per attempt', async () => {
    await expect(send('nobody@example.com')).rejects.toMatchObject({ responseCode: 550 });
    await expect(send('busy@example.com')).rejects.toMatchObject({ responseCode: 451 });
    await send('busy@example.com');
    expect(smtp.to('busy@example.com')).toHaveLength(1);
    expect(smtp.to('nobody@example.com')).toHaveLength(0);
  });

  it('refuses a message at the end of DATA when the rule says so, keeping nothing', async () => {
    await expect(send('spam@example.com')).rejects.toMatchObject({ code: 'EMESSAGE', command: 'DATA', responseCode: 554 });
    expect(smtp.to('spam@example.com')).toHaveLength(0);
  });
});

describe('an SMTP server that will not serve', () => {
  let smtp: SmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.stop());

  // Short waits: the silent server is given up on in half a second.
  const send = (to: string) =>
    nodemailer
      .createTransport({ url: smtp.url, connectionTimeout: 500, greetingTimeout: 500 })
      .sendMail({ from: 'a@example.com', to, subject: 'Hi', text: 'hi' });

  // As nodemailer reports each one: what email-service tells an outage by.
  it.each([
    ['closed', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }],
    ['reset', { code: 'ESOCKET', originalCode: 'ECONNRESET' }],
    ['greeting-421', { code: 'EPROTOCOL', responseCode: 421 }],
    ['greeting-554', { code: 'EPROTOCOL', responseCode: 554 }],
    ['silent', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }],
    // Self-signed, and expired too: either fails the handshake.
    ['bad-tls', { code: 'ESOCKET', originalCode: expect.stringMatching(/CERT/) }],
  ] as const)('%s: turns the client away before any mail command, then serves again on the same port', async (how, failure) => {
    const to = `${how}@example.com`;
    await smtp.refuseConnections(how);
    await expect(send(to)).rejects.toMatchObject({ command: 'CONN', ...failure });
    await smtp.acceptConnections();
    await send(to);
    expect(smtp.to(to)).toHaveLength(1);
  });
});

describe('an SMTP server that is down for a while', () => {
  it('refuses connections, then accepts them again on the same port, keeping the Message-ID of what it receives', async () => {
    const smtp = await startSmtpServer();
    const pooled = nodemailer.createTransport({ url: smtp.url, pool: true });
    const send = (messageId: string) => pooled.sendMail({ from: 'a@example.com', to: 'c@example.com', subject: 'Hi', text: 'hi', messageId });
    try {
      await send('<zero@test>');
      // Down means down: the pooled connection that is open goes too.
      await smtp.refuseConnections();
      await expect(send('<one@test>')).rejects.toMatchObject({ code: expect.stringMatching(/ESOCKET|ECONNECTION/) });
      await smtp.acceptConnections();
      await send('<one@test>');
      await send('<one@test>');
      expect(smtp.to('c@example.com').map((email) => email.messageId)).toEqual(['<zero@test>', '<one@test>', '<one@test>']);
    } finally {
      pooled.close();
      await smtp.stop();
    }
  });
});
