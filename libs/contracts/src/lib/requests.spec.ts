import { subjectMatches } from '@mediamagic/pubsub/nats';
import { DOMAIN_STREAMS, REQUESTS } from './catalog';
import { NewDeployment } from './deployment.requests';
import { RegisterUser } from './user.requests';

describe('request contracts', () => {
  it('keep every request subject out of the streams, or JetStream would answer the request itself', () => {
    for (const { subject } of REQUESTS) {
      expect(DOMAIN_STREAMS.filter((stream) => stream.subjects.some((pattern) => subjectMatches(pattern, subject)))).toEqual([]);
    }
    expect(new Set(REQUESTS.map((request) => request.subject)).size).toBe(REQUESTS.length);
  });

  it('refuse control characters in typed text, which PostgreSQL and email headers cannot take', () => {
    const nul = RegisterUser.request.safeParse({ email: 'ada@example.com', name: 'A\u0000da', password: 'long enough' });
    expect(nul.error?.issues).toEqual([expect.objectContaining({ path: ['name'], message: 'must not contain control characters' })]);
    expect(NewDeployment.safeParse({ name: 'chat\nBcc: x', model: 'llama' }).success).toBe(false);
    expect(NewDeployment.parse({ name: '  chat  ', model: 'Llama 3 – 8B' })).toEqual({ name: 'chat', model: 'Llama 3 – 8B', replicas: 1 });
  });

  it('lowercase emails, so one address is one account', () => {
    expect(RegisterUser.request.parse({ email: 'Ada@Example.com', name: 'Ada', password: 'long enough' }).email).toBe('ada@example.com');
  });
});
