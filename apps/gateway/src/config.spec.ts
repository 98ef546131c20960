import { ConfigError, loadConfig } from '@mediamagic/runtime';
import { GatewayConfig } from './config';

describe('GatewayConfig', () => {
  it('defaults PORT to 3000 and leaves JWT_SECRET unset', () => {
    const config = loadConfig(GatewayConfig, {});
    expect(config).toMatchObject({ PORT: 3000, NATS_ADDR: 'nats://127.0.0.1:4222' });
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it.each(['0', '65536', '80.5', 'http'])('refuses PORT=%s', (port) => {
    expect(() => loadConfig(GatewayConfig, { PORT: port })).toThrow(ConfigError);
    expect(() => loadConfig(GatewayConfig, { PORT: port })).toThrow(/PORT: /);
  });

  it('refuses a JWT_SECRET shorter than 32 characters, without repeating it', () => {
    const attempt = () => loadConfig(GatewayConfig, { JWT_SECRET: 'too-short-secret' });
    expect(attempt).toThrow('JWT_SECRET: must be at least 32 characters');
    expect(attempt).not.toThrow(/too-short-secret/);
  });
});
