import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJobSpec } from '../src/scheduler/index.js';

// dist/test/examples.test.js → the repository's examples/ folder.
const root = fileURLToPath(new URL('../../examples/', import.meta.url));

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
