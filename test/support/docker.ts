/**
 * Test support for real-Docker tests: one idempotent local image built with `docker import`
 * (no registry is reachable here), containers started with a unique label and always removed.
 *
 * Tests that need Docker call `dockerOrSkip(t)`: without a daemon they skip with a visible reason,
 * except when MAESTRO_REQUIRE_DOCKER=1 (set by .ci/run), where they fail.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestContext } from 'node:test';

const exec = promisify(execFile);

/**
 * The busybox image: every busybox applet in /bin (`httpd`, `nc`, `sh`, `wget`, `nslookup`, …).
 * Its static glibc build cannot resolve names through DNS (getaddrinfo crashes without NSS
 * modules), so tests resolve with `nslookup`, which speaks DNS itself.
 */
export const TEST_IMAGE = 'maestro-test:busybox';
/** Bumped when the image's content changes, so an older local build is replaced. */
const IMAGE_REVISION = '2';

export async function docker(args: string[], opts: { timeoutMs?: number; dockerHost?: string } = {}): Promise<string> {
  const env = opts.dockerHost ? { ...process.env, DOCKER_HOST: opts.dockerHost } : process.env;
  const { stdout } = await exec('docker', args, { timeout: opts.timeoutMs ?? 60_000, env, maxBuffer: 16 << 20 });
  return stdout.trim();
}

let available: Promise<boolean> | undefined;
export function dockerAvailable(): Promise<boolean> {
  available ??= docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 10_000 }).then(
    () => true,
    () => false,
  );
  return available;
}

/**
 * Skips the test (visibly) when no Docker daemon answers; fails instead under MAESTRO_REQUIRE_DOCKER=1.
 * Returns true when Docker is there and the test image is built.
 */
export async function dockerOrSkip(t: TestContext): Promise<boolean> {
  if (!(await dockerAvailable())) {
    if (process.env.MAESTRO_REQUIRE_DOCKER === '1') {
      throw new Error('Docker is required (MAESTRO_REQUIRE_DOCKER=1) but no daemon answers `docker info`');
    }
    t.skip('no Docker daemon answers `docker info` (start dockerd, or set MAESTRO_REQUIRE_DOCKER=1 to fail)');
    return false;
  }
  await ensureTestImage();
  return true;
}

let imageBuilt: Promise<void> | undefined;
/** Builds TEST_IMAGE from the host's static busybox unless it exists. Safe to call concurrently. */
export function ensureTestImage(dockerHost?: string): Promise<void> {
  const build = async () => {
    const revision = await docker(['image', 'inspect', '--format', '{{index .Config.Labels "maestro.test.revision"}}', TEST_IMAGE], { dockerHost }).catch(() => '');
    if (revision === IMAGE_REVISION) return;
    const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
    if (!busybox) throw new Error('busybox-static is not installed (apt-get install busybox-static)');
    const root = mkdtempSync(join(tmpdir(), 'maestro-rootfs-'));
    try {
      mkdirSync(join(root, 'bin'));
      mkdirSync(join(root, 'tmp'));
      mkdirSync(join(root, 'www'));
      copyFileSync(busybox, join(root, 'bin', 'busybox'));
      const { stdout } = await exec(busybox, ['--list']);
      for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) symlinkSync('busybox', join(root, 'bin', applet));
      const changes = `-c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' -c 'LABEL maestro.test.revision=${IMAGE_REVISION}'`;
      await exec('sh', ['-c', `tar -C '${root}' -c . | docker import ${changes} - ${TEST_IMAGE}`], {
        env: dockerHost ? { ...process.env, DOCKER_HOST: dockerHost } : process.env,
        timeout: 120_000,
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  if (dockerHost) return build();
  imageBuilt ??= build();
  return imageBuilt;
}

/** A unique label value per test, so concurrent test files never see each other's containers. */
export function uniqueScope(prefix = 't'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export const SCOPE_LABEL = 'maestro.test.scope';

export interface StartOptions {
  scope: string;
  name?: string;
  image?: string;
  args?: string[];
  /** Extra `docker run` flags, e.g. ['-p', '127.0.0.1::80', '-l', 'maestro.service=web']. */
  flags?: string[];
  cmd?: string[];
}

/** `docker run -d` with the scope label; returns the container id. */
export async function startContainer(opts: StartOptions): Promise<string> {
  const args = ['run', '-d', '-l', `${SCOPE_LABEL}=${opts.scope}`];
  if (opts.name) args.push('--name', opts.name);
  args.push(...(opts.flags ?? []), opts.image ?? TEST_IMAGE, ...(opts.cmd ?? ['sleep', '3600']));
  return docker(args);
}

/** Removes every container carrying the scope label (register with t.after). */
export async function removeScope(scope: string): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${SCOPE_LABEL}=${scope}`]).catch(() => ''))
    .split('\n')
    .filter(Boolean);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids]).catch(() => undefined);
}

/** A scope that cleans itself up after the test. */
export function scopeFor(t: TestContext, prefix?: string): string {
  const scope = uniqueScope(prefix);
  t.after(() => removeScope(scope));
  return scope;
}

