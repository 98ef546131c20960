import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { dlq, listDeadLetters, type DeadLetterEntry } from './support/dlq';
import { explain, report, settle, SUBJECT, tallyCounts, tallyInbox } from './support/effects';
import { usePlatform } from './support/scenario';

const OWNER = 'poison-owner@example.com';

/**
 * Fault 5: a poison event, `deployment.created` with a body that breaks the contract, published by
 * hand with raw nats.js as a foreign or buggy publisher would. Both consumers (email-service and
 * analytics-service) put it in the dead letters with the reason at once (retrying cannot fix a
 * payload) while the events around it keep flowing. `dlq replay <id> --data <fixed json>` sends a
 * corrected copy to email-service, and the email arrives.
 */
describe('fault 5: a poison event', () => {
  const scenario = usePlatform('fault-5');

  it('is dead-lettered with its reason by each consumer, others flow, and a fixed replay is delivered', async () => {
    const { platform, client } = scenario;
    const token = await client.verifiedUser(platform.smtp, OWNER);
    const me = await client.call('GET', '/users/me', { token });
    const startedAt = Date.now();

    expect((await client.createDeployment(token, 'before')).status).toBe(202);
    const poisonId = randomUUID();
    await publishPoison(platform.nats.url, poisonId);
    expect((await client.createDeployment(token, 'after')).status).toBe(202);

    let deadLetters: DeadLetterEntry[] = [];
    let dlqError = '';
    const poisoned = () => deadLetters.filter((entry) => entry.eventId === poisonId);
    await settle(async () => {
      deadLetters = await listDeadLetters(platform.nats.url).catch((error: Error) => ((dlqError = error.message), []));
      return poisoned().length === 2;
    }, 60_000);

    const forEmail = poisoned().find((entry) => entry.group === 'email-service.notify-deployment-owner');
    const fixed = {
      deploymentId: randomUUID(),
      ownerId: me.body.id,
      ownerEmail: OWNER,
      name: 'fixed',
      model: 'llama-3',
      replicas: 1,
      createdAt: new Date().toISOString(),
    };
    const replay = forEmail ? await dlq(platform.nats.url, 'replay', forEmail.id, '--data', JSON.stringify(fixed)) : undefined;

    const expected = [
      ...['before', 'after'].flatMap((name) => [
        { to: OWNER, subject: SUBJECT.created(name) },
        { to: OWNER, subject: SUBJECT.running(name) },
      ]),
      { to: OWNER, subject: SUBJECT.created('fixed') },
    ];
    // The replay went to email-service only: analytics still holds the poison in its dead letters.
    const counts = { 'deployment.created': 2, 'deployment.succeeded': 2, 'email.sent': 1 + expected.length };
    await settle(() => tallyInbox(platform.smtp, expected).delivered === expected.length, 60_000);
    await settle(async () => tallyCounts(await client.analytics(), counts).counted === 4 + counts['email.sent'], 30_000);

    const outcome = {
      // Two good deployments' created and succeeded, and the poison.
      published: 5,
      inbox: tallyInbox(platform.smtp, expected),
      analytics: tallyCounts(await client.analytics().catch(() => ({})), counts),
      notes: [
        `dead letters ${
          poisoned()
            .map((entry) => entry.group)
            .sort()
            .join(' + ') || `none${dlqError && ` (${dlqError.slice(0, 120)})`}`
        }`,
        `replay ${replay ? `exit ${replay.code}` : 'not run'}`,
      ],
    };
    const { lost, duplicated } = report('fault 5 poison event', startedAt, outcome);

    const why = explain(outcome, platform.logDir);
    expect(
      poisoned()
        .map((entry) => entry.group)
        .sort(),
      dlqError,
    ).toEqual(['analytics-service.count-event', 'email-service.notify-deployment-owner']);
    for (const entry of poisoned()) {
      expect(entry).toMatchObject({ subject: 'deployment.created', attempts: 1 });
      // The reason names what is wrong with the payload.
      expect(entry.reason).toMatch(/deploymentId/);
    }
    expect(replay, `${replay?.stderr}`).toMatchObject({ code: 0 });
    expect(lost, why).toBe(0);
    expect(duplicated, why).toBe(0);
  });
});

/** A `deployment.created` missing its required fields, with proper CloudEvents headers: valid transport, invalid contract. */
async function publishPoison(natsUrl: string, id: string): Promise<void> {
  const connection = await connect({ servers: natsUrl });
  try {
    const h = headers();
    h.set('ce-specversion', '1.0');
    h.set('ce-id', id);
    h.set('ce-source', 'fault-injection');
    h.set('ce-type', 'deployment.created');
    h.set('ce-time', new Date().toISOString());
    h.set('ce-dataschema', 'urn:mediamagic:event:deployment.created:v1');
    h.set('content-type', 'application/json');
    await jetstream(connection).publish('deployment.created', JSON.stringify({ name: 'poison' }), { headers: h, msgID: id });
  } finally {
    await connection.close();
  }
}
