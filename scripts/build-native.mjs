#!/usr/bin/env node
// Compiles every native/<name>.c (or native/<name>/*.c) into build/native/<name>.node: small Node-API addons for the I/O hot paths
// Node's own sockets cannot serve fast enough (DNS over UDP and over TCP, the L4 relay). Plain `cc` against
// the headers Node ships (<prefix>/include/node), so no node-gyp and no download. Maestro runs without
// them (each user falls back to Node's sockets), so a missing compiler is a warning — unless
// MAESTRO_REQUIRE_NATIVE=1 (CI), where it is an error.
//
//   --out <dir>   write the .node files there instead of build/native/ (a private or temporary tree)
//   --sanitize    ASAN + UBSAN build for the sanitizer test (test/native/sanitizer.test.ts): run it
//                 under a node with LD_PRELOAD=$(cc -print-file-name=libasan.so); any report aborts
//                 (-fno-sanitize-recover), so a finding is a non-zero exit, never a line to miss.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { out: { type: 'string' }, sanitize: { type: 'boolean', default: false } } });
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.env.MAESTRO_REQUIRE_NATIVE === '1';
const candidates = [
  resolve(process.execPath, '../../include/node'),
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include/node'),
].filter(Boolean);
const include = candidates.find((d) => existsSync(join(d, 'node_api.h')));
const out = args.out ? resolve(args.out) : join(root, 'build/native');
mkdirSync(out, { recursive: true });
const flags = args.sanitize
  ? ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer']
  : ['-O2'];

// An addon is native/<name>.c, or native/<name>/ with its .c files and headers: both give <name>.node.
const addons = readdirSync(join(root, 'native'), { withFileTypes: true }).flatMap((e) => {
  if (e.isFile() && e.name.endsWith('.c')) return [{ name: e.name.slice(0, -2), label: e.name, sources: [join(root, 'native', e.name)], dir: [] }];
  if (!e.isDirectory()) return [];
  const dir = join(root, 'native', e.name);
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, f));
  return sources.length ? [{ name: e.name, label: `${e.name}/`, sources, dir: [`-I${dir}`] }] : [];
});

let failed = 0;
for (const addon of addons) {
  const target = join(out, `${addon.name}.node`);
  try {
    if (!include) throw new Error(`Node's headers (node_api.h) not found in ${candidates.join(', ')}`);
    execFileSync(process.env.CC ?? 'cc', [...flags, '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', `-I${include}`, ...addon.dir, '-o', target, ...addon.sources], { stdio: 'inherit' });
  } catch (err) {
    failed++;
    console.error(`maestro: native/${addon.label} not built (${err.message.split('\n')[0]}); Node's sockets serve instead`);
  }
}
if (failed && (required || args.sanitize)) {
  console.error('maestro: a native addon failed to build and it is required (MAESTRO_REQUIRE_NATIVE=1 or --sanitize)');
  process.exit(1);
}
