import { type Codec, type Delivery, type EventDefinition, type RequestDefinition } from '@mediamagic/pubsub';
import { LIBRARY_STREAMS, subjectMatches, type StreamSpec } from '@mediamagic/pubsub/nats';
import { CATALOG, DOMAIN_STREAMS, REQUESTS } from './catalog';
import { fieldTable } from './catalog-doc.fields';

const STREAMS: readonly StreamSpec[] = [...DOMAIN_STREAMS, ...LIBRARY_STREAMS];

/** What each guarantee promises, in the words a consumer's author needs. */
const GUARANTEES: Record<Delivery, string> = {
  'at-least-once':
    'JetStream. The event is stored in its stream before `publish` resolves. Each consumer group acks it only after its ' +
    'handler succeeded; a failed handler is retried with backoff, and a message that cannot succeed goes to the dead ' +
    'letters. An event may arrive more than once, so handlers must be idempotent.',
  'at-most-once': 'Core NATS, fire and forget. Only subscribers listening at that moment receive the event, and a failed handler drops it.',
};

/** How to bring docs/events.md up to date; the spec that guards it says the same. */
export const REGENERATE_DOCS = 'UPDATE_DOCS=1 npx nx run contracts:test';

/** docs/events.md: the event catalog and the request contracts, rendered from the contracts themselves. */
export function catalogMarkdown(): string {
  const sections = [
    '# Events and requests',
    `> Generated from the contracts in \`libs/contracts\` by \`catalogMarkdown()\` (\`libs/contracts/src/lib/catalog-doc.ts\`). ` +
      `Do not edit it by hand: change the contracts, then run \`${REGENERATE_DOCS}\`. The contracts' tests fail while this file is out of date.`,
    'Services talk over NATS in two ways: **domain events**, published by the service that owns the fact and consumed by ' +
      'any service that cares, and **requests**, answered by exactly one service. Every payload is checked against its ' +
      'schema when it arrives, so the tables below are what a receiver accepts.',
    '## Contents',
    toc(),
    '## Delivery guarantees',
    Object.entries(GUARANTEES)
      .map(([delivery, meaning]) => `- **${delivery}**: ${meaning}`)
      .join('\n'),
    '## Streams',
    streamTable(),
    '## Events',
    ...CATALOG.map(eventSection),
    trackingSection(),
    '## Requests',
    'A request is sent with core NATS request/reply and answered by one replica of the responding service. The responder ' +
      'checks the request against its schema and the caller checks the reply against the response schema. A failure is ' +
      'answered with `{ statusCode, message, details? }` and the status in the `reply-status` header: 400 when the request ' +
      'breaks its schema (the message says how), otherwise the statuses named in the description.',
    ...REQUESTS.map(requestSection),
  ];
  return `${sections.join('\n\n')}\n`;
}

function toc(): string {
  const link = (subject: string) => `[\`${subject}\`](#${anchor(subject)})`;
  return [
    `- Events: ${CATALOG.map((event) => link(event.subject)).join(', ')}, [tracking events](#tracking-events)`,
    `- Requests: ${REQUESTS.map((request) => link(request.subject)).join(', ')}`,
  ].join('\n');
}

function streamTable(): string {
  const rows = STREAMS.map((stream) => {
    const events = CATALOG.filter((event) => streamOf(event.subject) === stream).map((event) => `\`${event.subject}\``);
    const holds = LIBRARY_STREAMS.includes(stream) ? "none, the messaging library's own" : events.join(', ');
    return `| \`${stream.name}\` | ${stream.subjects.map((s) => `\`${s}\``).join(', ')} | ${holds} |`;
  });
  return [
    'The JetStream streams that store at-least-once messages. The domain streams belong to the contracts (`DOMAIN_STREAMS`); ' +
      'the others to the messaging library (`LIBRARY_STREAMS`). Every service creates or extends them when it connects.',
    ['| Stream | Subjects | Events |', '| --- | --- | --- |', ...rows].join('\n'),
  ].join('\n\n');
}

function eventSection(event: EventDefinition): string {
  const stream = streamOf(event.subject);
  const facts = [
    `- **Version**: ${event.version}`,
    `- **Delivery**: ${event.delivery} (see [delivery guarantees](#delivery-guarantees))`,
    `- **Stream**: ${stream ? `\`${stream.name}\`` : 'none, it is not stored'}`,
    `- **Encoding**: ${encoding(event.codec)}`,
  ];
  return [`### \`${event.subject}\``, event.description ?? '', facts.join('\n'), '**Payload**', fieldTable(event.schema)].filter(Boolean).join('\n\n');
}

function trackingSection(): string {
  return [
    '### Tracking events',
    'Besides the domain events, a service counts what happens with `pubsub.publishEvent({ name })`, published on ' +
      '`tracking.<name>` (for example `tracking.user.logged-in`), where `<name>` is dot-separated lower-case tokens. ' +
      `They are at-least-once by default, stored in the \`${streamOf('tracking.name')?.name}\` stream, and analytics-service ` +
      'counts them by name. The payload is `TrackingEventSchema` (`libs/pubsub/src/lib/tracking-event.ts`): ' +
      '`id`, `source`, `count` (default 1), `timestamp` and `labels` (at most 32) are filled in by the messaging library.',
  ].join('\n\n');
}

function requestSection(request: RequestDefinition): string {
  return [
    `### \`${request.subject}\``,
    request.description ?? '',
    `- **Encoding**: ${encoding(request.codec)}`,
    '**Request**',
    fieldTable(request.request),
    '**Response**',
    fieldTable(request.response),
  ]
    .filter(Boolean)
    .join('\n\n');
}

/** A contract without a codec is JSON, as EventDefinition and RequestDefinition document. */
function encoding(codec: Codec | undefined): string {
  return codec?.contentType ?? 'application/json';
}

/** The stream whose subjects cover `subject`; the catalog's test guarantees there is at most one. */
function streamOf(subject: string): StreamSpec | undefined {
  return STREAMS.find((stream) => stream.subjects.some((pattern) => subjectMatches(pattern, subject)));
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');
}
