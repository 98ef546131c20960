import { createMailer } from './mailer';

describe('createMailer', () => {
  it('says once which way mail leaves: the SMTP host and port, never the credentials', () => {
    const log = vi.fn();
    createMailer({ from: 'a@example.com', smtpUrl: 'smtp://mailer:s3cret@mail.example.com:2525', directory: '/unused' }, { log });
    expect(log).toHaveBeenCalledExactlyOnceWith('sending mail over SMTP via mail.example.com:2525');
  });

  it('says where the .eml files go when there is no SMTP server', () => {
    const log = vi.fn();
    createMailer({ from: 'a@example.com', directory: '/data/email-service/mail' }, { log });
    expect(log).toHaveBeenCalledExactlyOnceWith('no SMTP_URL: writing mail as .eml files to /data/email-service/mail');
  });
});
