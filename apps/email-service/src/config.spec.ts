import { loadConfig } from '@mediamagic/runtime';
import { DEFAULT_MAIL_FROM, EmailConfig } from './config';

describe('EmailConfig', () => {
  it('sends from a default address and writes .eml files when nothing is set', () => {
    const config = loadConfig(EmailConfig, {});
    expect(config.MAIL_FROM).toBe(DEFAULT_MAIL_FROM);
    expect(config.SMTP_URL).toBeUndefined();
  });

  it('takes an address or "Name <address>" as MAIL_FROM, and an smtp(s):// URL with credentials', () => {
    const env = { MAIL_FROM: 'Ops Team <ops@example.com>', SMTP_URL: 'smtps://mailer:s3cret@mail.example.com:465' };
    expect(loadConfig(EmailConfig, env)).toMatchObject(env);
    expect(loadConfig(EmailConfig, { MAIL_FROM: 'ops@example.com' }).MAIL_FROM).toBe('ops@example.com');
  });

  it('names each wrong variable without echoing its value (the SMTP password)', () => {
    const wrong = () => loadConfig(EmailConfig, { MAIL_FROM: 'Ops Team <not an address>', SMTP_URL: 'http://mailer:s3cret@mail.example.com' });
    expect(wrong).toThrow(/MAIL_FROM: must be an address or "Name <address>"/);
    expect(wrong).toThrow(/SMTP_URL: must be a SMTP URL \(smtp:\/\/ or smtps:\/\/\)/);
    expect(wrong).not.toThrow(/s3cret/);
  });
});
