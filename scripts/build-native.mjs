#!/usr/bin/env node
// Builds the native VFIO addon with node-gyp. Node's headers are taken from the running Node's own
// install prefix when present (Debian's nodejs puts them in /usr/include/node), so the build never
// needs to download anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const prefix = resolve(dirname(process.execPath), '..');
const args = ['rebuild'];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

let nodeGyp;
try {
  nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
} catch {
  // Installed as a dependency without devDependencies: fall back to npm's bundled node-gyp.
  nodeGyp = join(dirname(process.env.npm_execpath ?? ''), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
}
const result = spawnSync(process.execPath, [nodeGyp, ...args], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`ixgbevf-vfio: building the native addon failed (node-gyp ${args.join(' ')}). ` +
    'Needs python3, make and g++ (apt-get install -y python3 make g++).');
  process.exit(result.status ?? 1);
}
