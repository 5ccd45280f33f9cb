import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REDIS_YAML, call, instance, registerHost, seedRun, startHarness, type Harness } from './helpers.js';

describe('API hosts, services, metrics, healthz', () => {
  let h: Harness;
  let dnsQueries = 0;
  before(async () => {
    h = await startHarness({
      processMetrics: true,
      metricsSources: {
        dns: () => ({ queriesTotal: ++dnsQueries, responsesByRcode: { NOERROR: 7, NXDOMAIN: 2 }, zoneRecords: 12 }),
        proxy: () => ({
          l7: { requestsTotal: 5, inFlight: 1 },
          note: 'skipped',
          services: [{ service: 'web', requests: { '2xx': 3 }, latency: { buckets: [{ le: 0.5, count: 2 }], sum: 0.4, count: 3 } }],
        }),
        registrar: { read: () => ({ events: { start: 3 }, syncs: 2 }), labels: { events: 'type' }, counters: ['events', 'syncs'] },
        broken: () => {
          throw new Error('boom');
        },
      },
    });
  });
  after(() => h.close());

  it('lists hosts with capacity and the use summed from their allocations', async () => {
    await registerHost(h.catalog, 'h1', { disk: 'ssd' });
    await registerHost(h.catalog, 'h2');
    await call(h.base, 'POST', '/v1/jobs', REDIS_YAML);
    await seedRun(h.catalog, 'redis', 1, [
      { ordinal: 0, host: 'h1', state: 'running', healthy: true },
      { ordinal: 1, host: 'h1', state: 'running', healthy: true },
      { ordinal: 2, host: 'h2', state: 'pending', healthy: false },
    ]);
    const res = await call(h.base, 'GET', '/v1/hosts');
    assert.equal(res.status, 200);
    const [h1, h2] = res.json.hosts;
    assert.equal(h1.name, 'h1');
    assert.equal(h1.alive, true);
    assert.deepEqual(h1.meta, { disk: 'ssd' });
    assert.deepEqual(h1.capacity, { cpu: 4000, memory: 8192 });
    assert.deepEqual(h1.used, { cpu: 500, memory: 512 });
    assert.equal(h1.allocations, 2);
    assert.deepEqual(h2.used, { cpu: 250, memory: 256 });
  });

  it('lists services with instances and health, filtered by selector on instance metadata', async () => {
    await h.catalog.registerInstance(instance('redis', 'redis-0', 'passing', { job: 'redis', tier: 'backend' }));
    await h.catalog.registerInstance(instance('redis', 'redis-1', 'critical', { job: 'redis', tier: 'backend' }));
    await h.catalog.registerInstance(instance('web', 'web-0', 'passing', { job: 'web', tier: 'frontend' }));
    const res = await call(h.base, 'GET', '/v1/services');
    assert.deepEqual(
      res.json.services.map((s: any) => [s.name, s.total, s.healthy, s.instances.map((i: any) => `${i.name}:${i.health}`)]),
      [
        ['redis', 2, 1, ['redis-0:passing', 'redis-1:critical']],
        ['web', 1, 1, ['web-0:passing']],
      ],
    );
    const sel = await call(h.base, 'GET', '/v1/services?selector=tier%21%3Dbackend');
    assert.deepEqual(sel.json.services.map((s: any) => s.name), ['web']);

    const one = await call(h.base, 'GET', '/v1/services/redis');
    assert.equal(one.status, 200);
    assert.deepEqual([one.json.service.name, one.json.service.total, one.json.service.healthy], ['redis', 2, 1]);
    const missing = await call(h.base, 'GET', '/v1/services/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'not_found');
  });

  it('serves Prometheus text with the components\' metrics read at scrape time', async () => {
    await call(h.base, 'GET', '/v1/jobs');
    const first = await call(h.base, 'GET', '/metrics');
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /text\/plain/);
    const samples = parseExposition(first.text);
    assert.equal(samples.get('maestro_dns_queries_total'), 1);
    assert.equal(samples.get('maestro_dns_responses{rcode="NXDOMAIN"}'), 2);
    assert.equal(samples.get('maestro_dns_zone_records'), 12);
    assert.equal(samples.get('maestro_proxy_l7_requests_total'), 5);
    assert.equal(samples.get('maestro_proxy_l7_in_flight'), 1);
    assert.equal(samples.get('maestro_registrar_events_total{type="start"}'), 3);
    assert.equal(samples.get('maestro_registrar_syncs_total'), 2);
    assert.equal(samples.get('maestro_proxy_services_requests{service="web",key="2xx"}'), 3);
    assert.equal(samples.get('maestro_proxy_services_latency_bucket{service="web",le="0.5"}'), 2);
    assert.equal(samples.get('maestro_proxy_services_latency_bucket{service="web",le="+Inf"}'), 3);
    assert.equal(samples.get('maestro_proxy_services_latency_count{service="web"}'), 3);
    assert.match(first.text, /# TYPE maestro_proxy_services_latency histogram/);
    assert.equal(samples.get('maestro_api_metrics_source_errors_total{source="broken"}'), 1);
    assert.ok(samples.get('maestro_api_requests_total{method="GET",route="/v1/jobs",code="200"}')! >= 1);
    assert.ok(samples.has('maestro_process_cpu_user_seconds_total'));
    assert.match(first.text, /# TYPE maestro_dns_queries_total counter/);
    assert.match(first.text, /# TYPE maestro_dns_zone_records gauge/);
    const second = parseExposition((await call(h.base, 'GET', '/metrics')).text);
    assert.equal(second.get('maestro_dns_queries_total'), 2, 'read again at the next scrape');
  });

  it('answers /healthz', async () => {
    const res = await call(h.base, 'GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: 'ok', catalog: 'embedded' });
  });
});

/** A strict-enough parser of the text format: every non-comment line is `name{labels} value` (NaN as Go parses it, any case). */
function parseExposition(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|nan|[+-]inf)$/i.exec(line);
    assert.ok(m, `bad exposition line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}
