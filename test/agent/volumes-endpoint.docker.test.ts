import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { findEndpoint, startLogEndpoint } from '../../src/agent/logs/index.js';
import { agentVolumeRemover, localVolumes } from '../../src/agent/volumes/index.js';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { DockerodeAdapter } from '../../src/docker/index.js';
import { silentLogger } from '../../src/log/index.js';
import { docker, dockerOrSkip, scopeFor, startContainer } from '../support/docker.js';

/**
 * `maestro volumes rm` on the agent's side, against a real dockerd: the server's client removes a
 * replica volume through the agent endpoint with the published token; anyone else gets 401 and
 * the volume stays; paths that are not a replica volume's are refused before Docker is asked.
 */

function call(base: string, method: string, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const exists = async (name: string) => (await docker(['volume', 'ls', '-q', '--filter', `name=^${name}$`])) === name;

test('the agent endpoint removes a replica volume for token holders only, and refuses what is not one', { timeout: 60_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const scope = scopeFor(t, 'vol');
  const job = `v${scope.replace(/[^a-z0-9]/g, '').slice(-10)}`;
  const volume = `${job}-0-data`;
  const held = `${job}-1-data`;
  t.after(async () => {
    for (const v of [volume, held]) if (await exists(v)) await docker(['volume', 'rm', '-f', v]);
  });
  await docker(['volume', 'create', '--label', 'maestro.job=' + job, volume]);
  await docker(['volume', 'create', '--label', 'maestro.job=' + job, held]);
  // A stopped container still holds a volume: Docker refuses to remove it.
  await startContainer({ scope, flags: ['-v', `${held}:/data`], cmd: ['true'] });

  const catalog = createEmbeddedCatalog();
  t.after(() => catalog.close());
  const adapter = new DockerodeAdapter();
  const host = `vol-${scope}`;
  const endpoint = await startLogEndpoint({
    catalog, host, addr: { host: '127.0.0.1', port: 0 }, logs: async () => { throw new Error('no logs here'); },
    volumes: localVolumes(adapter), logger: silentLogger,
  });
  t.after(() => endpoint.stop());
  const record = (await findEndpoint(catalog, host))!;
  const base = `http://${record.addr}`;

  for (const token of [undefined, 'wrong', record.token.slice(0, -1)]) {
    const r = await call(base, 'DELETE', `/v1/volumes/${job}/0/data`, token);
    assert.equal(r.status, 401, `token ${token}`);
  }
  assert.ok(await exists(volume), 'a refused request leaves the volume');

  const bad: [string, string, number][] = [
    ['DELETE', `/v1/volumes/${job}/0`, 404],
    ['DELETE', `/v1/volumes/${job}/0/data/x`, 404],
    ['GET', `/v1/volumes/${job}/0/data`, 400],
    ['DELETE', `/v1/volumes/..%2F..%2Fetc/0/data`, 400],
    ['DELETE', `/v1/volumes/${job}/-1/data`, 400],
    ['DELETE', `/v1/volumes/${job}/1e3/data`, 400],
    ['DELETE', `/v1/volumes/${job}/0/%zz`, 400],
    ['DELETE', `/v1/volumes/${job}/0/Data`, 400],
    ['DELETE', `/v1/volumes/${'a'.repeat(64)}/0/data`, 400],
    ['DELETE', `/v1/volumes/${job}/0/${encodeURIComponent('data\u0000')}`, 400],
  ];
  for (const [method, path, status] of bad) {
    const r = await call(base, method, path, record.token);
    assert.equal(r.status, status, `${method} ${path}: ${r.body}`);
    assert.match(JSON.parse(r.body).error.message, /\S/);
  }
  assert.ok(await exists(volume));

  // The server's side: the client finds the endpoint and its token in the catalog.
  const remove = agentVolumeRemover({ catalog });
  assert.equal(await remove(host, { job, ordinal: 1, name: 'data' }), 'in_use');
  assert.ok(await exists(held));
  assert.equal(await remove(host, { job, ordinal: 0, name: 'data' }), 'removed');
  assert.equal(await exists(volume), false);
  assert.equal(await remove(host, { job, ordinal: 0, name: 'data' }), 'missing');
  await assert.rejects(remove('no-such-host', { job, ordinal: 0, name: 'data' }), /host no-such-host has published no agent endpoint/);
});
