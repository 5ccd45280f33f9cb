/** The agent's check verdicts folded into instance health by the registrar (the instances' one writer). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceInstance } from '../../src/catalog/types.js';
import { vouchedInstances } from '../../src/registrar/fence.js';
import { withReportedHealth, worse } from '../../src/registrar/reported-health.js';

const inst = (health: ServiceInstance['health']): ServiceInstance => ({
  id: 'h1:c1:80', service: 'web', name: 'web-0', host: 'h1', address: '10.0.0.1', port: 80, tags: [], meta: {}, health,
});

test('the worse of Docker\'s view and the agent\'s verdict wins; no verdict leaves Docker\'s', () => {
  assert.equal(worse('passing', 'critical'), 'critical');
  assert.equal(worse('critical', 'passing'), 'critical');
  assert.equal(worse('warning', undefined), 'warning');
  const labels = { 'maestro.alloc': 'a1' };
  assert.equal(withReportedHealth([inst('passing')], labels, () => 'warning')[0]!.health, 'warning');
  assert.equal(withReportedHealth([inst('critical')], labels, () => 'passing')[0]!.health, 'critical');
  const same = [inst('passing')];
  assert.equal(withReportedHealth(same, labels, () => undefined), same);
});

test('vouched instances carry the agent\'s verdict; while unsure, registered ones keep their registered health', () => {
  const c = {
    id: 'c1', name: 'web-0-x', image: 'img', labels: { 'maestro.alloc': 'a1', 'maestro.host': 'h1', 'maestro.service': 'web' }, env: {},
    running: true, paused: false, ports: [{ containerPort: 80, protocol: 'tcp' as const, hostIp: '', hostPort: 80 }], ipAddress: '172.17.0.2', networkMode: 'bridge',
  };
  const ctx = { host: 'h1', advertise: '10.0.0.1', internal: false };
  const [yes] = vouchedInstances([c], ctx, [], () => 'yes', () => 'critical');
  assert.equal(yes!.health, 'critical');
  const [kept] = vouchedInstances([c], ctx, [{ ...yes!, health: 'passing' }], () => 'unsure', () => undefined);
  assert.equal(kept!.health, 'passing', 'an agent that just restarted has not probed yet: change nothing');
});
