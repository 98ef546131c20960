import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '@mediamagic/testing';
import { DeclaredStreams, ensureStreams } from './streams';

describe('streams at start', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server.dispose());

  it('are created once, services that each declare part of one keep their subjects, and the operator keeps the settings', async () => {
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, [{ name: 'SHARED', subjects: ['orders.>'] }]);
      const created = await jsm.streams.info('SHARED');
      expect(created.config).toMatchObject({ retention: 'limits', storage: 'file', duplicate_window: nanos(120_000) });
      // An operator keeps events longer; then two services start at once, each with its own subjects.
      await jsm.streams.update('SHARED', { ...created.config, max_age: nanos(30 * 24 * 3_600_000) });
      const first = new DeclaredStreams(jsm, [{ name: 'SHARED', subjects: ['orders.>', 'refunds.>'] }]);
      const second = new DeclaredStreams(jsm, [{ name: 'SHARED', subjects: ['invoices.>'] }]);
      await Promise.all([first.ensure(), second.ensure()]);
      // A stream update replaces the whole subject list, so two at once can drop one's subject; the service
      // that needs it puts it back before it publishes (DeclaredStreams.storing), which is what is guaranteed.
      expect(await first.storing('refunds.created')).toBe('SHARED');
      expect(await second.storing('invoices.sent')).toBe('SHARED');
      const { config } = await jsm.streams.info('SHARED');
      expect([...config.subjects].sort()).toEqual(['invoices.>', 'orders.>', 'refunds.>']);
      expect(config.max_age).toBe(nanos(30 * 24 * 3_600_000));
    } finally {
      await nc.close();
    }
  });

  it('replace a wildcard of an older declaration that covers subjects now declared one by one, keeping the events stored', async () => {
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const js = jetstream(nc);
      // As the DEPLOYMENT stream was created before it stored only the at-least-once subjects.
      await ensureStreams(jsm, [{ name: 'UPGRADED', subjects: ['shipment.>', 'parcel.>'] }]);
      await js.publish('shipment.sent', 'before the upgrade');

      await ensureStreams(jsm, [{ name: 'UPGRADED', subjects: ['shipment.sent', 'shipment.lost'] }]);

      const info = await jsm.streams.info('UPGRADED');
      expect([...info.config.subjects].sort()).toEqual(['parcel.>', 'shipment.lost', 'shipment.sent']);
      expect(info.state.messages).toBe(1);
      // What the spec leaves out (an at-most-once subject) is no longer stored.
      nc.publish('shipment.progress', 'not stored');
      await js.publish('shipment.lost', 'stored');
      expect((await jsm.streams.info('UPGRADED')).state.messages).toBe(2);
    } finally {
      await nc.close();
    }
  });

  it('keep events for the declared max age (STREAM_MAX_AGE), applied to a stream created before with another', async () => {
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, [{ name: 'AGED', subjects: ['aged.>'] }]);
      expect((await jsm.streams.info('AGED')).config.max_age).toBe(nanos(30 * 24 * 3_600_000));
      await ensureStreams(jsm, [{ name: 'AGED', subjects: ['aged.>'], maxAgeMs: 90 * 24 * 3_600_000 }]);
      expect((await jsm.streams.info('AGED')).config.max_age).toBe(nanos(90 * 24 * 3_600_000));
    } finally {
      await nc.close();
    }
  });
});
