/**
 * README.md's environment table stays true: every environment variable src/ reads is in it, and
 * everything in it is read by src/ or the tests. Reads are found as written: `env.NAME`,
 * `env['NAME']`, commander's `.env('NAME')`, and the `env` of each role flag (src/config/flags.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FLAGS } from '../../src/config/index.js';

/** The repository: the first folder above this (compiled) test with Maestro's package.json and src/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'maestro' && statSync(join(dir, 'src')).isDirectory()) return dir;
    } catch {
      // not here; one level up
    }
  }
  throw new Error('cannot find the repository above this test');
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

const READ = /\benv(?:\.([A-Z_][A-Z0-9_]*)|\[\s*['"`]([A-Z_][A-Z0-9_]*)['"`]\s*\])|\.env\(\s*['"`]([A-Z_][A-Z0-9_]*)['"`]\s*\)/g;
/**
 * A read of the process's environment whose name is computed: the scan could not see what it
 * reads, so it is not allowed. (A container's `env` object, built by the agent, is no such read.)
 */
const DYNAMIC = /\bprocess\.env\[\s*(?!['"`][A-Z_])/;

/** Names read by the files under `dir`, with where. */
export function envReads(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of tsFiles(dir)) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      for (const m of line.matchAll(READ)) found.set(m[1] ?? m[2] ?? m[3]!, `${file}:${i + 1}`);
    });
  }
  return found;
}

/** The first column of README.md's "### Environment" table. */
function documented(readme: string): Set<string> {
  const section = readme.split(/^### Environment$/m)[1]?.split(/^#{2,3} /m)[0] ?? '';
  return new Set([...section.matchAll(/^\| `([A-Z_][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!));
}

test('every environment variable src/ reads is in README.md\'s table, and the table names nothing unread', () => {
  const root = repoRoot();
  const reads = envReads(join(root, 'src'));
  for (const f of FLAGS) if (f.env) reads.set(f.env, `src/config/flags.ts (--${f.name})`);
  const table = documented(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(reads.size >= 20, `found only ${reads.size} reads: the scan is broken`);
  assert.ok(table.size >= 20, `README.md's table has ${table.size} rows: the section moved?`);
  const missing = [...reads].filter(([name]) => !table.has(name)).map(([name, where]) => `${name} (read at ${where})`);
  assert.deepEqual(missing, [], 'add these to README.md, CLI → Environment');
  const testReads = envReads(join(root, 'test'));
  const unread = [...table].filter((name) => !reads.has(name) && !testReads.has(name));
  assert.deepEqual(unread, [], 'README.md documents variables nothing reads');
});

test('no environment read hides its name from the scan', () => {
  const root = repoRoot();
  const dynamic = tsFiles(join(root, 'src')).flatMap((file) =>
    readFileSync(file, 'utf8').split('\n').flatMap((line, i) => (DYNAMIC.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])));
  assert.deepEqual(dynamic, []);
});

test('the scan sees each way of reading', () => {
  const sample = "a = process.env.MAESTRO_X; b = env['MAESTRO_Y']; new Option('--z').env(\"MAESTRO_Z\"); c = env.lower;";
  assert.deepEqual([...sample.matchAll(READ)].map((m) => m[1] ?? m[2] ?? m[3]), ['MAESTRO_X', 'MAESTRO_Y', 'MAESTRO_Z']);
  assert.ok(DYNAMIC.test('const v = process.env[name];'));
  assert.ok(!DYNAMIC.test("const v = process.env['MAESTRO_Y'];"));
  assert.ok(!DYNAMIC.test('containerEnv[key] = value;'));
});
