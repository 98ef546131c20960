import { createPubSub } from './create-pubsub';
import { DEFAULT_STREAM_MAX_AGE_MS, parseDuration, streamMaxAgeFrom } from './duration';

describe('durations (STREAM_MAX_AGE)', () => {
  it('reads a number with a unit, or several', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('720h')).toBe(30 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration(' 90s ')).toBe(90_000);
    expect(parseDuration('500ms')).toBe(500);
  });

  it('refuses anything else with a message that says how to write one', () => {
    for (const wrong of ['', '30', 'd', '30 days', '-1d', '1.5h', '0d', '99999999999999999d']) {
      expect(() => parseDuration(wrong), wrong).toThrow(/duration/);
    }
  });

  it('defaults to 30 days, and names the variable when it is wrong', () => {
    expect(streamMaxAgeFrom({})).toBe(DEFAULT_STREAM_MAX_AGE_MS);
    expect(streamMaxAgeFrom({ STREAM_MAX_AGE: '' })).toBe(DEFAULT_STREAM_MAX_AGE_MS);
    expect(streamMaxAgeFrom({ STREAM_MAX_AGE: '7d' })).toBe(7 * 86_400_000);
    expect(() => streamMaxAgeFrom({ STREAM_MAX_AGE: 'a month' })).toThrow(/STREAM_MAX_AGE: "a month" is not a duration/);
  });

  it('stops a service at start when STREAM_MAX_AGE is wrong, before it connects', async () => {
    const previous = process.env['STREAM_MAX_AGE'];
    process.env['STREAM_MAX_AGE'] = 'forever';
    try {
      await expect(createPubSub({ service: 'any', natsAddr: 'nats://127.0.0.1:1' })).rejects.toThrow(/STREAM_MAX_AGE: "forever" is not a duration/);
    } finally {
      if (previous === undefined) delete process.env['STREAM_MAX_AGE'];
      else process.env['STREAM_MAX_AGE'] = previous;
    }
  });
});
