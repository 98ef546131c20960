import { subjectMatches } from '@mediamagic/pubsub/nats';
import { CATALOG, DOMAIN_STREAMS } from './catalog';
import { DeploymentCreated } from './deployment.events';
import { UserRegistered } from './user.events';

describe('event catalog', () => {
  it('holds each platform event once, stored by exactly one stream when at-least-once', () => {
    const subjects = CATALOG.map((event) => event.subject);
    expect(subjects).toEqual(
      expect.arrayContaining(['user.registered', 'user.verified', 'deployment.created', 'deployment.succeeded', 'deployment.failed', 'deployment.deleted']),
    );
    expect(new Set(subjects).size).toBe(subjects.length);
    for (const event of CATALOG.filter((e) => e.delivery === 'at-least-once')) {
      const streams = DOMAIN_STREAMS.filter((stream) => stream.subjects.some((pattern) => subjectMatches(pattern, event.subject)));
      expect(streams).toHaveLength(1);
    }
  });

  it('accepts a well-formed payload and says what is wrong with a bad one', () => {
    const created = {
      deploymentId: '0b6f7a4e-3f0a-4c43-9a55-1f8f6d2b8c11',
      ownerId: '7d1c2f0e-5b9a-4f7e-8a8b-2c3d4e5f6a7b',
      ownerEmail: 'ada@example.com',
      name: 'summarizer',
      model: 'llama-3-8b',
      replicas: 2,
      createdAt: new Date().toISOString(),
    };
    expect(DeploymentCreated.schema.parse(created)).toEqual(created);
    expect(() => DeploymentCreated.schema.parse({ ...created, replicas: 0 })).toThrow(/replicas/);
    expect(UserRegistered.schema.safeParse({ userId: 'x' }).success).toBe(false);
    // Unknown fields are refused, so a typo in a publisher cannot silently drop data.
    expect(() => DeploymentCreated.schema.parse({ ...created, extra: 1 })).toThrow(/extra/);
  });

  it('reads a user.registered of version 1 without the link it carried (what is published is what the schema parsed)', () => {
    const registered = { userId: '7d1c2f0e-5b9a-4f7e-8a8b-2c3d4e5f6a7b', email: 'ada@example.com', name: 'Ada', registeredAt: new Date().toISOString() };

    expect(UserRegistered.schema.parse({ ...registered, verificationUrl: 'http://localhost:3000/verify?token=t' })).toEqual(registered);
  });
});
