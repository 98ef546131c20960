import { z } from 'zod';
import { CommonEnv, ConfigError, DatabaseEnv, loadConfig, PublicUrlEnv } from './config';

const Env = CommonEnv.extend(DatabaseEnv.shape)
  .extend(PublicUrlEnv.shape)
  .extend({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  });

describe('loadConfig', () => {
  it('gives the documented defaults when nothing is set', () => {
    const config = loadConfig(Env, {});
    expect(config).toMatchObject({ NATS_ADDR: 'nats://127.0.0.1:4222', PORT: 3000, PUBLIC_URL: 'http://localhost:3000' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.DATA_DIR).toMatch(/\.data$/);
  });

  it('treats an empty variable as unset, as compose files write them', () => {
    expect(loadConfig(Env, { PORT: '', DATABASE_URL: ' ' }).PORT).toBe(3000);
  });

  it('names every wrong variable and what is wrong, without echoing secrets', () => {
    const error = (() => {
      try {
        loadConfig(Env, { PORT: 'eighty', DATABASE_URL: 'mysql://u:hunter2@db/x', PUBLIC_URL: 'ftp://x' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toMatch(/PORT: .*number/i);
    expect(error?.message).toMatch(/DATABASE_URL: must be a PostgreSQL URL/);
    expect(error?.message).toMatch(/PUBLIC_URL: must be a http\(s\) URL/);
    expect(error?.message).not.toContain('hunter2');
  });

  it('drops a trailing slash from PUBLIC_URL so links are built one way', () => {
    expect(loadConfig(Env, { PUBLIC_URL: 'https://mm.example/' }).PUBLIC_URL).toBe('https://mm.example');
  });
});
