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
    const samples = flatten('proxy', {
      requestsTotal: 3,
      ready: true,
      responsesByStatus: { '200': 2, '502': 1, bad: 'x' },
      l4: { connectionsTotal: 9, services: { redis: 1 } },
      list: [1, 2],
      name: 'x',
      nan: Number.NaN,
      nothing: null,
    });
    assert.deepEqual(samples, [
      { name: 'maestro_proxy_requests_total', type: 'counter', value: 3 },
      { name: 'maestro_proxy_ready', type: 'gauge', value: 1 },
      { name: 'maestro_proxy_responses', type: 'gauge', label: 'status', labelValue: '200', value: 2 },
      { name: 'maestro_proxy_responses', type: 'gauge', label: 'status', labelValue: '502', value: 1 },
      { name: 'maestro_proxy_l4_connections_total', type: 'counter', value: 9 },
      { name: 'maestro_proxy_l4_services_redis', type: 'gauge', value: 1 },
    ]);
    assert.deepEqual(flatten('dns', undefined), []);
  });

  it('follows the hints: declared label names and counters', () => {
    const samples = flatten(
      'dns',
      { responses: { NOERROR: 4 }, truncated: 2, zone: { names: 3 }, l7: { byCode: { '200': 1 } } },
      { labels: { responses: 'rcode', 'l7.byCode': 'code' }, counters: ['responses', 'truncated'] },
    );
    assert.deepEqual(samples, [
      { name: 'maestro_dns_responses_total', type: 'counter', label: 'rcode', labelValue: 'NOERROR', value: 4 },
      { name: 'maestro_dns_truncated_total', type: 'counter', value: 2 },
      { name: 'maestro_dns_zone_names', type: 'gauge', value: 3 },
      { name: 'maestro_dns_l7_by_code', type: 'gauge', label: 'code', labelValue: '200', value: 1 },
    ]);
  });
});
