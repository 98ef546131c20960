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

  it('limits the routes anybody may call to 30 requests a minute per address, 0 switching it off, and trusts no proxy', () => {
    expect(loadConfig(GatewayConfig, {})).toMatchObject({ AUTH_RATE_LIMIT: 30, TRUST_PROXY: false });
    expect(loadConfig(GatewayConfig, { AUTH_RATE_LIMIT: '0' }).AUTH_RATE_LIMIT).toBe(0);
    for (const limit of ['-1', '2.5', 'many']) expect(() => loadConfig(GatewayConfig, { AUTH_RATE_LIMIT: limit })).toThrow(/AUTH_RATE_LIMIT: /);
  });

  it.each([
    ['false', false],
    ['true', ['loopback', 'linklocal', 'uniquelocal']],
    ['203.0.113.10', ['203.0.113.10']],
    [' 10.0.0.0/8, fd00::/8 ,uniquelocal', ['10.0.0.0/8', 'fd00::/8', 'uniquelocal']],
  ])('reads TRUST_PROXY=%s as the proxies to believe', (value, proxies) => {
    expect(loadConfig(GatewayConfig, { TRUST_PROXY: value }).TRUST_PROXY).toEqual(proxies);
  });

  // Trusting every hop, or a number of hops (which Fastify refuses to apply), would let a client write its own address.
  it.each(['yes', '1', '10.0.0.0/33', '300.1.1.1', 'everyone'])('refuses TRUST_PROXY=%s', (value) => {
    expect(() => loadConfig(GatewayConfig, { TRUST_PROXY: value })).toThrow(/TRUST_PROXY: /);
  });
});
