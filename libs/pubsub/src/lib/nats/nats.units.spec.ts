import { parseServers } from './connection';
import { durableName } from './durable-consumer';
import { encodedHeaders } from './headers';

describe('NATS_ADDR parsing', () => {
  it('accepts one URL or a comma-separated list', () => {
    expect(parseServers('nats://127.0.0.1:4222')).toEqual(['nats://127.0.0.1:4222']);
    expect(parseServers(' nats://a:4222, nats://b:4222 ')).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(parseServers('localhost:4222')).toEqual(['localhost:4222']);
  });

  it('rejects a bad value with a message that never shows the credentials', () => {
    expect(() => parseServers('')).toThrow(/NATS_ADDR is empty/);
    expect(() => parseServers('http://example:4222')).toThrow(/invalid server URL/);
    const error = (() => {
      try {
        parseServers('nats://admin:s3cret@host:4222/path with space');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/invalid server URL/);
    expect(error?.message).not.toContain('s3cret');
  });
});

describe('durable consumer names', () => {
  it('are one per group and subject filter, readable, without the characters NATS forbids', () => {
    expect(durableName('email-service', 'deployment.created')).toMatch(/^email-service__deployment_created_[0-9a-f]{8}$/);
    expect(durableName('analytics', 'tracking.>')).toMatch(/^analytics__tracking_all_[0-9a-f]{8}$/);
    expect(durableName('analytics', 'user.*')).toMatch(/^analytics__user_any_[0-9a-f]{8}$/);
    expect(durableName('email-service', 'deployment.created')).toBe(durableName('email-service', 'deployment.created'));
  });

  it('never let two subjects share a consumer', () => {
    expect(durableName('g', 'a.b')).not.toBe(durableName('g', 'a_b'));
    expect(durableName('g', 'x.*')).not.toBe(durableName('g', 'x.any'));
    expect(durableName('email-service.notify-deployment-owner', 'deployment.created')).toMatch(
      /^email-service_notify-deployment-owner__deployment_created_[0-9a-f]{8}$/,
    );
    expect(durableName('a.b', 'c')).not.toBe(durableName('a_b', 'c'));
  });
});

describe('header encoding', () => {
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

  it('writes the NATS header block', () => {
    expect(decode(encodedHeaders({ 'ce-id': '1', 'content-type': 'application/json' }).encode())).toBe(
      'NATS/1.0\r\nce-id: 1\r\ncontent-type: application/json\r\n\r\n',
    );
  });

  it('refuses a value that would forge another header, and a key NATS cannot carry', () => {
    expect(() => encodedHeaders({ 'x-note': 'a\r\nce-id: forged' })).toThrow(/invalid header "x-note"/);
    expect(() => encodedHeaders({ 'bad key': 'v' })).toThrow(/invalid header/);
  });
});
