import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flatten, snake } from '../../src/api/flatten.js';

describe('metrics flattening', () => {
  it('snake-cases names', () => {
    assert.equal(snake('queriesTotal'), 'queries_total');
    assert.equal(snake('L4Connections'), 'l4_connections');
    assert.equal(snake('in-flight'), 'in_flight');
  });

  it('maps numbers, keyed maps, nesting and skips the rest', () => {
    const samples = flatten('dns', {
      queriesTotal: 3,
      ready: true,
      responsesByRcode: { NOERROR: 2, NXDOMAIN: 1, bad: 'x' },
      byClass: { '2xx': 4 },
      rcodes: { NOERROR: 1 },
      table: { names: 9 },
      name: 'x',
      nan: Number.NaN,
      nothing: null,
    });
    assert.deepEqual(samples, [
      { name: 'maestro_dns_queries_total', type: 'counter', labels: {}, value: 3 },
      { name: 'maestro_dns_ready', type: 'gauge', labels: {}, value: 1 },
      { name: 'maestro_dns_responses', type: 'gauge', labels: { rcode: 'NOERROR' }, value: 2 },
      { name: 'maestro_dns_responses', type: 'gauge', labels: { rcode: 'NXDOMAIN' }, value: 1 },
      { name: 'maestro_dns_by_class', type: 'gauge', labels: { key: '2xx' }, value: 4 },
      { name: 'maestro_dns_rcodes', type: 'gauge', labels: { key: 'NOERROR' }, value: 1 },
      { name: 'maestro_dns_table_names', type: 'gauge', labels: {}, value: 9 },
    ]);
    assert.deepEqual(flatten('dns', undefined), []);
  });

  it('follows the hints: declared label names and counters', () => {
    const samples = flatten(
      'dns',
      { responses: { NOERROR: 4 }, truncated: 2, zone: { names: 3 } },
      { labels: { responses: 'rcode' }, counters: ['responses', 'truncated'] },
    );
    assert.deepEqual(samples, [
      { name: 'maestro_dns_responses_total', type: 'counter', labels: { rcode: 'NOERROR' }, value: 4 },
      { name: 'maestro_dns_truncated_total', type: 'counter', labels: {}, value: 2 },
      { name: 'maestro_dns_zone_names', type: 'gauge', labels: {}, value: 3 },
    ]);
  });

  it('turns arrays of objects into labelled series and reads histograms', () => {
    const samples = flatten(
      'proxy',
      {
        services: [
          {
            service: 'web',
            requests: { '2xx': 5 },
            latencySeconds: { buckets: [{ le: 0.1, count: 4 }, { le: 1, count: 5 }], sum: 0.7, count: 6 },
            instances: [{ id: 'h1:c1:80', ejected: false, connectErrors: 1 }],
          },
        ],
      },
      { labels: { 'services.requests': 'class' }, counters: ['services.requests', 'services.instances.connectErrors'] },
    );
    const web = { service: 'web' };
    assert.deepEqual(samples, [
      { name: 'maestro_proxy_services_requests_total', type: 'counter', labels: { ...web, class: '2xx' }, value: 5 },
      { name: 'maestro_proxy_services_latency_seconds', type: 'histogram', suffix: '_bucket', labels: { ...web, le: '0.1' }, value: 4 },
      { name: 'maestro_proxy_services_latency_seconds', type: 'histogram', suffix: '_bucket', labels: { ...web, le: '1' }, value: 5 },
      { name: 'maestro_proxy_services_latency_seconds', type: 'histogram', suffix: '_bucket', labels: { ...web, le: '+Inf' }, value: 6 },
      { name: 'maestro_proxy_services_latency_seconds', type: 'histogram', suffix: '_sum', labels: web, value: 0.7 },
      { name: 'maestro_proxy_services_latency_seconds', type: 'histogram', suffix: '_count', labels: web, value: 6 },
      { name: 'maestro_proxy_services_instances_ejected', type: 'gauge', labels: { ...web, id: 'h1:c1:80' }, value: 0 },
      { name: 'maestro_proxy_services_instances_connect_errors_total', type: 'counter', labels: { ...web, id: 'h1:c1:80' }, value: 1 },
    ]);
  });
});
