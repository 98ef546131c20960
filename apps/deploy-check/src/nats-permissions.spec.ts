import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AnalyticsSeries,
  AnalyticsSummary,
  AuthenticateUser,
  CATALOG,
  CreateDeployment,
  DeleteDeployment,
  DeploymentCreated,
  DeploymentDeleted,
  DeploymentFailed,
  DeploymentProgress,
  DeploymentProvisioningStarted,
  DeploymentSucceeded,
  DOMAIN_STREAMS,
  GetDeployment,
  GetDeploymentEvents,
  GetUser,
  IssueVerificationLink,
  ListDeployments,
  RegisterUser,
  REQUESTS,
  UserRegistered,
  UserVerified,
  VerifyEmail,
} from '@mediamagic/contracts';
import { defineRequest, PermanentError, type PubSub } from '@mediamagic/pubsub';
import { createPubSub, DeadLetterQueue, inboxPrefixOf, JetStreamDeliveries, type NatsTransport } from '@mediamagic/pubsub/nats';
import { serviceSpec, startNatsServer, waitFor, type NatsServer } from '@mediamagic/testing';
import { z } from 'zod';
import { APPS, natsUsers, readRepoFile, ROOT, type App } from './support/repo';

const AUTHORIZATION = join(ROOT, 'docker/nats/authorization.conf');
const BINARY = process.env['NATS_SERVER_BIN'] ?? 'nats-server';

// What each service does on NATS (see docs/events.md and the apps' handlers). Subjects come from the contracts.
const ANSWERS: Record<App, string[]> = {
  'user-service': [RegisterUser, VerifyEmail, AuthenticateUser, GetUser, IssueVerificationLink].map((request) => request.subject),
  'deployment-service': [CreateDeployment, ListDeployments, GetDeployment, GetDeploymentEvents, DeleteDeployment].map((request) => request.subject),
  'analytics-service': [AnalyticsSummary.subject, AnalyticsSeries.subject],
};
/** The gateway asks the API's questions; email-service only for the link of a verification email, which no event carries. */
const ASKS: Record<App, string[]> = {
  gateway: REQUESTS.filter((request) => request !== IssueVerificationLink).map((request) => request.subject),
  'email-service': [IssueVerificationLink.subject],
};
const answererOf = (subject: string) => Object.keys(ANSWERS).find((app) => ANSWERS[app]!.includes(subject));
const EMITS: Record<App, string[]> = {
  'user-service': [UserRegistered.subject, UserVerified.subject],
  'deployment-service': [DeploymentCreated, DeploymentProvisioningStarted, DeploymentProgress, DeploymentSucceeded, DeploymentFailed, DeploymentDeleted].map(
    (event) => event.subject,
  ),
};
/** How each event travels: an at-most-once one is never stored, so nothing consumes it from a stream. */
const deliveryOf = (subject: string) => CATALOG.find((event) => event.subject === subject)!.delivery;
const CONSUMES: Record<App, string[]> = {
  'email-service': [UserRegistered, DeploymentCreated, DeploymentSucceeded, DeploymentFailed].map((event) => event.subject),
  'analytics-service': CATALOG.filter((event) => event.delivery === 'at-least-once').map((event) => event.subject),
};
/** Heard live (core NATS, no consumer): the changes to the gateway's deployment views. */
const LISTENS: Record<App, string[]> = {
  gateway: [DeploymentProvisioningStarted, DeploymentSucceeded, DeploymentFailed, DeploymentDeleted].map((event) => event.subject),
};
/** Tracking events (`tracking.<name>`) each service publishes; analytics-service consumes them all. */
/** A request on `subject` with any payload: the permissions are what is tested, not a contract. */
const anyRequest = (subject: string) => defineRequest({ subject, request: z.unknown(), response: z.unknown() });

/** The gateway's KV bucket of rate limits (apps/gateway/src/limits: LIMITS_BUCKET_NAME, KvBucket). */
const LIMITS_BUCKET = 'gateway-limits';

const TRACKS: Record<App, string> = { 'user-service': 'user.logged-in', 'email-service': 'email.sent' };
/** One consumed event per consumer fails for good, so that it is dead-lettered under the consumer's group. */
const DEAD_LETTERS: Partial<Record<App, string>> = { 'email-service': DeploymentFailed.subject, 'analytics-service': DeploymentDeleted.subject };

// nats-server parses a variable's value as a configuration value: one starting with a digit is read as a
// number and refused. Real passwords must start with a letter too (README).
const passwords = Object.fromEntries(
  [...natsUsers(readRepoFile('docker/nats/authorization.conf')).values()].map((variable) => [variable, `p${randomBytes(12).toString('hex')}`]),
);
const passwordOf = (user: string) => passwords[natsUsers(readRepoFile('docker/nats/authorization.conf')).get(user)!];

describe('the NATS authorization (docker/nats/authorization.conf, used by compose and Kubernetes)', () => {
  let configDir: string;
  let server: NatsServer;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // The server reads the passwords from its environment, as in compose and Kubernetes.
    for (const [variable, password] of Object.entries(passwords)) {
      saved[variable] = process.env[variable];
      process.env[variable] = password;
    }
    configDir = mkdtempSync(join(tmpdir(), 'deploy-check-nats-'));
    // nats-server resolves `include` relative to the including file, even an absolute path.
    writeFileSync(join(configDir, 'nats.conf'), `include "${relative(configDir, AUTHORIZATION)}"\n`);
    server = await startNatsServer({ config: join(configDir, 'nats.conf') });
  });

  afterAll(async () => {
    await server?.dispose();
    rmSync(configDir, { recursive: true, force: true });
    for (const [variable, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[variable];
      else process.env[variable] = value;
    }
  });

  it('has a user for every service', () => {
    expect([...natsUsers(readRepoFile('docker/nats/authorization.conf')).keys()]).toEqual([...APPS, 'dead-letter-queue']);
    // Every event of the catalog has a publisher here, and every request an answerer and a caller, so a new one cannot go unchecked.
    expect(Object.values(EMITS).flat().sort()).toEqual(CATALOG.map((event) => event.subject).sort());
    expect(Object.values(ANSWERS).flat().sort()).toEqual(REQUESTS.map((request) => request.subject).sort());
    expect(Object.values(ASKS).flat().sort()).toEqual(REQUESTS.map((request) => request.subject).sort());
  });

  it.each(APPS)('has %s ask exactly the services its calls in services.json name', (app) => {
    const answerers = new Set((ASKS[app] ?? []).map(answererOf));
    expect([...serviceSpec(app).calls].sort()).toEqual([...answerers].sort());
  });

  it.each(['docker/nats/nats.conf', 'k8s/base/nats/nats.conf'])('%s is a configuration nats-server accepts', (file) => {
    const result = spawnSync(BINARY, ['-t', '-c', join(ROOT, file)], { env: { ...process.env, POD_NAME: 'nats-0' }, encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toContain('is valid');
  });

  it('refuses a connection without credentials or with a wrong password', async () => {
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/Authorization Violation/);
    await expect(connect({ servers: server.url, reconnect: false, user: 'gateway', pass: 'wrong' })).rejects.toThrow(/Authorization Violation/);
  });

  it('lets the five services (and the dead-letter tool) do all they do, as the pubsub library does it, without one permission violation', async () => {
    const violations: string[] = [];
    const logs: string[] = [];
    const services = {} as Record<App, PubSub>;
    const loggerOf = (who: string) => {
      const log = (line: string) => void logs.push(`${who}: ${line}`);
      return { log, warn: log, error: log };
    };
    for (const app of APPS) {
      const logger = loggerOf(app);
      services[app] = await createPubSub({
        service: app,
        natsAddr: server.url,
        natsUser: app,
        natsPassword: passwordOf(app),
        // As the apps declare them: the gateway none, the others the domain streams.
        streams: app === 'gateway' ? [] : DOMAIN_STREAMS,
        publishTimeoutMs: 5_000,
        retry: { maxAttempts: 1 },
        logger,
      });
      // The library reports a refused publish or subscription nowhere else: watch the connection itself.
      void watchViolations(connectionOf(services[app]), app, violations);
    }

    const received: Record<string, string[]> = { 'email-service': [], 'analytics-service': [] };
    for (const [app, subjects] of Object.entries(ANSWERS)) {
      for (const subject of subjects) await services[app as App].reply(anyRequest(subject), () => ({ answeredBy: app }));
    }
    for (const [app, subjects] of Object.entries(CONSUMES)) {
      for (const subject of subjects) {
        await services[app as App].subscribe(
          subject,
          async (message) => {
            received[app].push(message.subject);
            if (DEAD_LETTERS[app as App] === message.subject) throw new PermanentError('fails for good, to be dead-lettered');
          },
          { delivery: 'at-least-once' },
        );
      }
    }
    await services['analytics-service'].subscribeEvent('>', (event) => void received['analytics-service'].push(`tracking.${event.name}`));
    const heard: string[] = [];
    for (const [app, subjects] of Object.entries(LISTENS)) {
      for (const subject of subjects)
        await services[app as App].subscribe(subject, async (message) => void heard.push(message.subject), { group: 'gateway.deployment-views.1' });
    }

    for (const [app, subjects] of Object.entries(ASKS)) {
      for (const subject of subjects) expect(await services[app as App].request(anyRequest(subject), {})).toEqual({ answeredBy: answererOf(subject) });
    }
    const published: { id: string; subject: string; time: Date }[] = [];
    for (const [app, subjects] of Object.entries(EMITS)) {
      for (const subject of subjects) {
        const time = new Date(Date.now() - 1_000);
        const id = await services[app as App].publish(subject, new TextEncoder().encode('{}'), { delivery: deliveryOf(subject) });
        if (app === 'deployment-service' && deliveryOf(subject) === 'at-least-once') published.push({ id, subject, time });
      }
    }
    for (const [app, name] of Object.entries(TRACKS)) await services[app as App].publishEvent({ name });

    const expectedAnalytics = [...CONSUMES['analytics-service']!, ...Object.values(TRACKS).map((name) => `tracking.${name}`)];
    await waitFor(
      () =>
        received['email-service'].length >= CONSUMES['email-service']!.length &&
        received['analytics-service'].length >= expectedAnalytics.length &&
        heard.length >= LISTENS.gateway!.length,
      {
        timeoutMs: 15_000,
        message: `every event to be consumed (violations: ${violations.join('; ')})`,
      },
    );
    expect(received['email-service'].sort()).toEqual([...CONSUMES['email-service']!].sort());
    expect(heard.sort()).toEqual([...LISTENS.gateway!].sort());
    expect(received['analytics-service'].sort()).toEqual(expectedAnalytics.sort());
    // A dead letter is published only after the failing message was handled: wait for the library to say so.
    for (const [app, subject] of Object.entries(DEAD_LETTERS)) {
      await waitFor(() => logs.some((line) => line.startsWith(`${app}: dead-lettered ${subject}`)), {
        timeoutMs: 10_000,
        message: `${app} to dead-letter ${subject}: ${logs.join('\n')}`,
      });
    }

    // deployment-service reads where its events went (before the replay below takes a dead letter away): consumer state, dead letters, the groups' reports.
    const deliveries = await JetStreamDeliveries.connect({
      servers: server.url,
      name: 'deployment-service',
      user: 'deployment-service',
      pass: passwordOf('deployment-service'),
    });
    void watchViolations((deliveries as unknown as { connection: NatsConnection }).connection, 'deployment-service (deliveries)', violations);
    const found = await deliveries.of(published);
    await deliveries.close();
    const deleted = published.find((event) => event.subject === DeploymentDeleted.subject)!;
    expect(found.get(deleted.id)?.deliveries.find((delivery) => delivery.group.startsWith('analytics-service'))).toMatchObject({ state: 'dead-lettered' });
    expect([...found.keys()].sort()).toEqual(published.map((event) => event.id).sort());

    // The operator's `npm run dlq` reads them, and sends one back.
    const dlq = await DeadLetterQueue.connect({
      servers: server.url,
      user: 'dead-letter-queue',
      pass: passwordOf('dead-letter-queue'),
      logger: loggerOf('dead-letter-queue'),
    });
    void watchViolations((dlq as unknown as { transport: NatsTransport }).transport.connection, 'dead-letter-queue', violations);
    const letters = await dlq.list();
    expect(letters.map((letter) => `${letter.group} ${letter.subject}`).sort()).toEqual(
      Object.entries(DEAD_LETTERS)
        .map(([app, subject]) => `${app} ${subject}`)
        .sort(),
    );
    await dlq.replay(letters[0].id);
    await dlq.close();

    await Promise.all(APPS.map((app) => services[app].close()));
    expect(violations).toEqual([]);
  });

  it.each(Object.entries(ASKS).flatMap(([app, subjects]) => subjects.map((subject) => [app, subject, answererOf(subject)!])))(
    'brings %s the answer to %s from %s on its own inbox prefix, without a permission violation',
    async (asker, subject, answerer) => {
      const violations: string[] = [];
      const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };
      const [caller, responder] = await Promise.all(
        [asker, answerer].map((app) =>
          createPubSub({ service: app, natsAddr: server.url, natsUser: app, natsPassword: passwordOf(app), streams: [], logger: quiet }),
        ),
      );
      try {
        void watchViolations(connectionOf(caller!), asker, violations);
        void watchViolations(connectionOf(responder!), answerer, violations);
        await responder!.reply(anyRequest(subject), () => ({ answeredBy: answerer }));
        expect(await caller!.request(anyRequest(subject), {})).toEqual({ answeredBy: answerer });
        expect(violations).toEqual([]);
      } finally {
        await Promise.all([caller!.close(), responder!.close()]);
      }
    },
  );

  it('lets the gateway create its KV bucket of rate limits, read a key and update it by revision, as KvBucket does', async () => {
    const connection = await connect({
      servers: server.url,
      reconnect: false,
      user: 'gateway',
      pass: passwordOf('gateway'),
      inboxPrefix: inboxPrefixOf('gateway'),
    });
    const violations: string[] = [];
    const watching = watchViolations(connection, 'gateway', violations);
    const jsm = await jetstreamManager(connection);
    const [stream, key] = [`KV_${LIMITS_BUCKET}`, `$KV.${LIMITS_BUCKET}.rate.auth.0123abcd`];

    await jsm.streams.add({ name: stream, subjects: [`$KV.${LIMITS_BUCKET}.>`], max_msgs_per_subject: 1, storage: StorageType.Memory });
    expect((await jsm.streams.info(stream)).config.subjects).toEqual([`$KV.${LIMITS_BUCKET}.>`]);
    const js = jetstream(connection);
    const created = await js.publish(key, JSON.stringify({ hits: 1 }), { expect: { lastSubjectSequence: 0 } });
    await js.publish(key, JSON.stringify({ hits: 2 }), { expect: { lastSubjectSequence: created.seq } });
    expect((await jsm.streams.getMessage(stream, { last_by_subj: key }))?.json()).toEqual({ hits: 2 });

    await connection.close();
    await watching;
    expect(violations).toEqual([]);
  });

  it('lets the gateway read DEPLOYMENT through an ordered consumer and hear the progress reports, as its live stream does', async () => {
    // deployment-service makes the stream and publishes, as at its start.
    const owner = await connect({
      servers: server.url,
      reconnect: false,
      user: 'deployment-service',
      pass: passwordOf('deployment-service'),
      inboxPrefix: inboxPrefixOf('deployment-service'),
    });
    const deploymentStream = DOMAIN_STREAMS.find((stream) => stream.name === 'DEPLOYMENT')!;
    const ownerJsm = await jetstreamManager(owner);
    if (!(await ownerJsm.streams.names().next()).includes('DEPLOYMENT')) {
      await ownerJsm.streams.add({ name: 'DEPLOYMENT', subjects: [...deploymentStream.subjects], storage: StorageType.Memory });
    }
    const gateway = await connect({
      servers: server.url,
      reconnect: false,
      user: 'gateway',
      pass: passwordOf('gateway'),
      inboxPrefix: inboxPrefixOf('gateway'),
    });
    const violations: string[] = [];
    const watching = watchViolations(gateway, 'gateway', violations);
    // Who publishes the progress reports is deployment-service's row; a refused subscription would be a violation.
    gateway.subscribe(DeploymentProgress.subject);
    const lastSeq = (await (await jetstreamManager(gateway)).streams.info('DEPLOYMENT')).state.last_seq;
    const consumer = await jetstream(gateway).consumers.get('DEPLOYMENT', { opt_start_seq: lastSeq + 1 });
    await jetstream(owner).publish(DeploymentCreated.subject, '{}');
    const read = await consumer.next({ expires: 5_000 });
    expect(read?.subject).toBe(DeploymentCreated.subject);
    await gateway.flush();
    await gateway.close();
    await owner.close();
    await watching;
    expect(violations).toEqual([]);
  });

  it.each([
    { user: 'gateway', action: 'publish', subject: '$KV.another-bucket.key', why: 'the gateway writes its own bucket only' },
    { user: 'gateway', action: 'publish', subject: `$JS.API.STREAM.DELETE.KV_${LIMITS_BUCKET}`, why: 'the gateway deletes no stream, its bucket neither' },
    { user: 'email-service', action: 'publish', subject: `$KV.${LIMITS_BUCKET}.rate.auth.0123abcd`, why: 'only the gateway counts its limits' },
    { user: 'email-service', action: 'publish', subject: UserRegistered.subject, why: 'only user-service announces users' },
    { user: 'analytics-service', action: 'publish', subject: DeploymentCreated.subject, why: 'only deployment-service announces deployments' },
    { user: 'gateway', action: 'publish', subject: 'tracking.user.logged-in', why: 'the gateway tracks nothing' },
    {
      user: 'user-service',
      action: 'publish',
      subject: 'dead-letter.email-service.user.registered',
      why: "a service dead-letters only its own group's messages",
    },
    {
      user: 'deployment-service',
      action: 'publish',
      subject: '$JS.API.CONSUMER.CREATE.USER.spy.user.registered',
      why: 'it reads only where deployment events went',
    },
    { user: 'deployment-service', action: 'publish', subject: '$JS.ACK.DEPLOYMENT.x.y.1.1.1.1.1', why: 'it settles no delivery of a group' },
    { user: 'deployment-service', action: 'publish', subject: 'deliveries.email-service.DEPLOYMENT.1', why: 'a group reports its own deliveries only' },
    { user: 'email-service', action: 'publish', subject: 'deliveries.analytics-service.DEPLOYMENT.1', why: 'a group reports its own deliveries only' },
    { user: 'email-service', action: 'publish', subject: '$JS.API.STREAM.DELETE.USER', why: 'no service deletes streams' },
    { user: 'gateway', action: 'subscribe', subject: 'user.>', why: 'the gateway hears only what changes a deployment it holds' },
    { user: 'gateway', action: 'subscribe', subject: DeploymentCreated.subject, why: 'a view is held only once asked for, after its creation' },
    { user: 'gateway', action: 'publish', subject: '$JS.API.CONSUMER.CREATE.DEPLOYMENT', why: 'the gateway makes only named ordered consumers' },
    { user: 'gateway', action: 'publish', subject: '$JS.API.CONSUMER.CREATE.USER.live_1', why: 'the live stream reads DEPLOYMENT only' },
    { user: 'gateway', action: 'publish', subject: '$JS.API.CONSUMER.DURABLE.CREATE.DEPLOYMENT.spy', why: 'the gateway makes no durable consumer' },
    { user: 'gateway', action: 'publish', subject: '$JS.API.CONSUMER.CREATE.DEPLOYMENT.spy.deployment.created', why: 'its ordered consumers take no filter' },
    {
      user: 'gateway',
      action: 'publish',
      subject: '$JS.ACK.DEPLOYMENT.email-service.1.1.1.1.1.1',
      why: "the gateway acks nothing: another group's message stays that group's",
    },
    {
      user: 'gateway',
      action: 'publish',
      subject: '$JS.API.CONSUMER.DELETE.DEPLOYMENT.email-service',
      why: "the gateway removes no consumer, another group's neither",
    },
    { user: 'user-service', action: 'subscribe', subject: CreateDeployment.subject, why: 'only deployment-service answers deployments.*' },
    { user: 'email-service', action: 'subscribe', subject: RegisterUser.subject, why: 'only user-service answers users.*' },
    ...REQUESTS.filter((request) => request !== IssueVerificationLink).map(({ subject }) => ({
      user: 'email-service',
      action: 'publish',
      subject,
      why: 'email-service asks only for verification links',
    })),
    { user: 'gateway', action: 'publish', subject: IssueVerificationLink.subject, why: 'a link is made only for the email that carries it' },
    { user: 'analytics-service', action: 'publish', subject: IssueVerificationLink.subject, why: 'a link is made only for the email that carries it' },
    { user: 'email-service', action: 'subscribe', subject: IssueVerificationLink.subject, why: 'only user-service answers it' },
    // Replies travel on the caller's own inbox prefix: a verification link, answered to email-service, is heard by nobody else.
    ...[...APPS, 'dead-letter-queue'].flatMap((user, i, users) => [
      { user, action: 'subscribe', subject: '_INBOX.>', why: 'no service hears the shared inbox' },
      { user, action: 'subscribe', subject: `${inboxPrefixOf(users[(i + 1) % users.length]!)}.>`, why: "no service hears another's replies" },
    ]),
    {
      user: 'analytics-service',
      action: 'subscribe',
      subject: `${inboxPrefixOf('email-service')}.>`,
      why: 'the link user-service answers goes to email-service only',
    },
  ])('denies $user to $action $subject: $why', async ({ user, action, subject }) => {
    const connection = await connect({ servers: server.url, reconnect: false, user, pass: passwordOf(user) });
    const violations: string[] = [];
    const watching = watchViolations(connection, user, violations);
    if (action === 'publish') connection.publish(subject, '{}');
    else connection.subscribe(subject);
    await connection.flush();
    await waitFor(() => violations.length > 0, { timeoutMs: 5_000, message: `a permissions violation for ${user} on ${subject}` });
    expect(violations[0]).toContain(subject);
    await connection.close();
    await watching;
  });
});

/** The NATS connection under a PubSub made by createPubSub: a test's peek at a private field. */
function connectionOf(pubsub: PubSub): NatsConnection {
  return (pubsub as unknown as { transport: NatsTransport }).transport.connection;
}

async function watchViolations(connection: NatsConnection, who: string, violations: string[]): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === 'error' && /permission/i.test(String(status.error))) violations.push(`${who}: ${String(status.error)}`);
  }
}
