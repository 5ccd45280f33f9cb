import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJobSpec } from '../src/scheduler/index.js';

/** The repository's examples/ folder, found upwards from the compiled test (dist/test/ or elsewhere). */
function examplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above the test');
    dir = parent;
  }
  return join(dir, 'examples');
}
const root = examplesDir();

function specs(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return specs(path);
    return /\.(ya?ml|json)$/.test(entry) ? [path] : [];
  });
}

test('every example job spec is valid', () => {
  const files = specs(root);
  assert.ok(files.length >= 5, `found ${files.length} examples`);
  for (const file of files) {
    const job = parseJobSpec(readFileSync(file, 'utf8'));
    assert.ok(job.name && job.containers.length > 0, file);
  }
});
