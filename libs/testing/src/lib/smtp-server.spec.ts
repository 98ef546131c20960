import nodemailer from 'nodemailer';
import { startSmtpServer, type SmtpServer } from './smtp-server';

describe('startSmtpServer', () => {
  let smtp: SmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp.stop());

  it('receives and parses what nodemailer sends', async () => {
    const transport = nodemailer.createTransport(smtp.url);
    await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'Hello', text: `a long link https://x.example/${'y'.repeat(100)}` });
    expect(smtp.received).toMatchObject([{ from: 'a@example.com', to: ['b@example.com'], subject: 'Hello' }]);
    // The parser undoes the quoted-printable soft line breaks a long line gets.
    expect(smtp.received[0]!.text).toContain(`https://x.example/${'y'.repeat(100)}`);
  });

  it('rejects with the code the test chooses', async () => {
    smtp.rejectWith = 550;
    const transport = nodemailer.createTransport(smtp.url);
    await expect(transport.sendMail({ from: 'a@example.com', to: 'b@example.com', text: 'x' })).rejects.toMatchObject({ responseCode: 550 });
    smtp.rejectWith = undefined;
  });
});
