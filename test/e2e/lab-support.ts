/**
 * What the lab needs besides Docker: root (network namespaces, dockerd per host) and the etcd
 * binary (Debian's etcd-server). Without them the lab skips with the reason — except in CI, where
 * MAESTRO_REQUIRE_DOCKER=1 / MAESTRO_REQUIRE_ETCD=1 turn a missing prerequisite into a failure.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const exec = promisify(execFile);

export async function labPrerequisites(t: TestContext): Promise<boolean> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('needs root (network namespaces, a dockerd per host)');
  if (!(await exec('etcd', ['--version']).then(() => true, () => false))) problems.push('needs the etcd binary (Debian: apt-get install etcd-server)');
  if (!problems.length) return true;
  if (process.env.MAESTRO_REQUIRE_ETCD === '1' || process.env.MAESTRO_REQUIRE_DOCKER === '1') {
    throw new Error(`the lab is required in CI but cannot run: ${problems.join('; ')}`);
  }
  t.skip(problems.join('; '));
  return false;
}
