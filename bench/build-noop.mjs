#!/usr/bin/env node
// Builds bench/native (the empty N-API calls that are the floor of the MMIO benchmark) with node-gyp,
// exactly as scripts/build-native.mjs builds the real addon. Skips the build when it is up to date.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'native');
const out = join(dir, 'build', 'Release', 'bench_noop.node');
const newest = Math.max(...['noop.cc', 'binding.gyp'].map((f) => statSync(join(dir, f)).mtimeMs));
if (existsSync(out) && statSync(out).mtimeMs >= newest) process.exit(0);

const require = createRequire(join(dir, '..', '..', 'package.json'));
const prefix = resolve(dirname(process.execPath), '..');
const args = ['rebuild'];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), ...args], { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  console.error('bench: building bench/native (node-gyp rebuild) failed; needs python3, make, g++');
  process.exit(r.status ?? 1);
}
