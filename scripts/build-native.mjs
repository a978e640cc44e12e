#!/usr/bin/env node
// Builds the native VFIO addon from source with node-gyp (`npm run build`), or, as the package's
// `install` script (`--prefer-prebuild`), first looks for a prebuilt binary under prebuilds/ that
// loads on this Node (what node-gyp-build picks at run time) and builds only when none does.
// `npm_config_build_from_source=true` (npm install --build-from-source) always builds, and so does a
// git checkout (`npm ci` in the repository), whose sources may be newer than a prebuild left by `npm pack`.
// Node's headers come from the running Node's install prefix when present, so a build never needs
// to download anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localNodeDir } from './node-headers.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** The prebuilt addon for this platform/arch/libc that really loads, or undefined. */
function loadablePrebuild() {
  process.env['PREBUILDS_ONLY'] = '1'; // read by node-gyp-build when it loads: ignore build/
  try {
    const file = require('node-gyp-build').path(root);
    require(file);
    return file;
  } catch {
    return undefined;
  } finally {
    delete process.env['PREBUILDS_ONLY'];
  }
}

const fromSource = /^(true|1)$/.test(process.env['npm_config_build_from_source'] ?? '') || existsSync(join(root, '.git'));
if (process.argv.includes('--prefer-prebuild') && !fromSource) {
  const prebuild = loadablePrebuild();
  if (prebuild !== undefined) {
    console.log(`ixgbevf-vfio: using the prebuilt addon ${relative(root, prebuild)}`);
    process.exit(0);
  }
  console.log('ixgbevf-vfio: no prebuilt addon for this platform; building from source');
}

const args = ['rebuild'];
const nodedir = localNodeDir();
if (nodedir !== undefined) args.push(`--nodedir=${nodedir}`);

/** node-gyp: this package's own (a checkout's devDependency), else npm's bundled copy. */
function findNodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const npmBundled = (npmDir) => join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    const candidates = [
      process.env['npm_config_node_gyp'],
      process.env['npm_execpath'] && npmBundled(join(dirname(process.env['npm_execpath']), '..')),
      npmBundled(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm')),
    ];
    return candidates.find((file) => file !== undefined && file !== '' && existsSync(file)) ?? 'node-gyp';
  }
}

const nodeGyp = findNodeGyp();
const result = spawnSync(process.execPath, [nodeGyp, ...args], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`ixgbevf-vfio: building the native addon failed (node-gyp ${args.join(' ')}). ` +
    'Needs python3, make and g++ (apt-get install -y python3 make g++).');
  process.exit(result.status ?? 1);
}
