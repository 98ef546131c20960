import { EventDeliveries, type DeliveriesSource } from './event-deliveries';

describe('EventDeliveries', () => {
  const event = { id: 'd:1', subject: 'deployment.created', time: new Date() };

  it('says nothing went anywhere without a broker that keeps consumer state', async () => {
    expect(await new EventDeliveries(null).of([event])).toEqual(new Map());
  });

  it('answers 503 when the broker cannot be read, rather than claim the events went nowhere, and tells no internals', async () => {
    const broken: DeliveriesSource = {
      of: () => Promise.reject(new Error('permissions violation for $JS.API.CONSUMER.LIST.DEPLOYMENT')),
      close: async () => undefined,
    };
    const error = await new EventDeliveries(broken).of([event]).catch((e: unknown) => e as Error & { kind: string });
    expect(error).toMatchObject({ kind: 'unavailable', message: 'where the events went cannot be read now, try again' });
  });
});
