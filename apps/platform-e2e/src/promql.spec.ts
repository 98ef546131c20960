import { familyOf, observabilityQueries, parseExposition, selectorsOf } from './support/promql';

// The parser dashboard-metrics.spec.ts relies on: if it missed a metric, that test would pass for nothing.
describe('the metrics a PromQL expression reads', () => {
  it('finds the selected metrics and their matchers, not functions, label lists, ranges or numbers', () => {
    const expr =
      'histogram_quantile(0.99, sum by (le, messaging_consumer_group_name) (rate(messaging_process_duration_seconds_bucket{job=~"email.*", outcome!="x"}[$__rate_interval] offset 5m))) > 1e3';
    expect(selectorsOf(expr)).toEqual([{ metric: 'messaging_process_duration_seconds_bucket', labels: ['job', 'outcome'] }]);
  });

  it('reads both sides of a binary operation, with vector matching and strings holding braces', () => {
    const expr =
      'sum(rate(a_total{code=~"5.."}[1m])) / ignoring(code) group_left sum without (instance) (rate(b_total{path="/x{y}"}[1m])) and on(job) up == bool 1';
    expect(selectorsOf(expr).map((s) => s.metric)).toEqual(['a_total', 'b_total', 'up']);
    expect(selectorsOf(expr)[1].labels).toEqual(['path']);
  });

  it('finds a bare metric and a metric written after its aggregation clause', () => {
    expect(selectorsOf('process_resident_memory_bytes').map((s) => s.metric)).toEqual(['process_resident_memory_bytes']);
    expect(selectorsOf('max by (job) (mediamagic_outbox_pending_events)').map((s) => s.metric)).toEqual(['mediamagic_outbox_pending_events']);
  });

  it('maps _bucket, _sum and _count to their histogram only when it is one', () => {
    const histograms = new Set(['http_server_request_duration_seconds']);
    expect(familyOf('http_server_request_duration_seconds_bucket', histograms)).toBe('http_server_request_duration_seconds');
    expect(familyOf('http_server_request_duration_seconds_count', histograms)).toBe('http_server_request_duration_seconds');
    expect(familyOf('messaging_client_sent_messages_total', histograms)).toBe('messaging_client_sent_messages_total');
    expect(familyOf('jobs_count', histograms)).toBe('jobs_count');
  });

  it('reads every query of the provisioned dashboard and the alert rules', () => {
    const queries = observabilityQueries();
    expect(queries.length).toBeGreaterThan(15);
    for (const { where, expr } of queries) expect(selectorsOf(expr).length, `${where}: ${expr}`).toBeGreaterThan(0);
    const metrics = new Set(queries.flatMap(({ expr }) => selectorsOf(expr).map((s) => s.metric)));
    // The dashboard shows every metric of the contract (PLATFORM.md, "Observability").
    expect([...metrics].sort()).toEqual(
      expect.arrayContaining([
        'messaging_client_sent_messages_total',
        'messaging_client_consumed_messages_total',
        'messaging_process_duration_seconds_bucket',
        'mediamagic_consumer_pending_messages',
        'mediamagic_outbox_pending_events',
        'mediamagic_outbox_oldest_pending_age_seconds',
        'http_server_request_duration_seconds_bucket',
        'http_server_request_duration_seconds_count',
      ]),
    );
  });
});

describe('a scrape in the Prometheus text format', () => {
  it('gives each sample name with its label names, and each family its type', () => {
    const scrape = parseExposition(
      [
        '# HELP h_seconds help',
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{le="0.1",group="a, b"} 1',
        'h_seconds_sum{group="a"} 0.05',
        'process_cpu_seconds_total 1.5 1700000000000',
        '',
      ].join('\n'),
    );
    expect(scrape.types.get('h_seconds')).toBe('histogram');
    expect([...scrape.samples.get('h_seconds_bucket')!]).toEqual(['le', 'group']);
    expect([...scrape.samples.keys()]).toEqual(['h_seconds_bucket', 'h_seconds_sum', 'process_cpu_seconds_total']);
  });
});
