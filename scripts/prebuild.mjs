#!/usr/bin/env node
// Builds the prebuilt addons shipped in the npm tarball (`npm run prebuild`; run by `prepack`):
// prebuilds/linux-x64/node.napi.glibc.node and prebuilds/linux-arm64/node.napi.glibc.node, with
// prebuildify. The addon uses only Node-API 8 (binding.gyp: NAPI_VERSION=8), so one binary per
// platform serves every Node >= 20; node-gyp-build loads it (src/native.ts). arm64 is cross-compiled
// with Debian's aarch64 g++ (apt-get install -y g++-aarch64-linux-gnu). Node's headers come from the
// running Node's prefix (scripts/node-headers.mjs): no download. The builds run in a scratch copy of
// binding.gyp + native/, so the checkout's own build/ (what tests load) is never touched. Fails when a
// target cannot be built: a tarball must never ship without its prebuilds.
//   node scripts/prebuild.mjs [x64] [arm64]     (default: both)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { localNodeDir } from './node-headers.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

/** Cross toolchains (Debian's gcc-<triplet> packages), keyed by Node's arch name. */
const CROSS = {
  arm64: { triplet: 'aarch64-linux-gnu', apt: 'g++-aarch64-linux-gnu' },
  x64: { triplet: 'x86_64-linux-gnu', apt: 'g++-x86-64-linux-gnu' },
};

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function toolchainEnv(target) {
  if (target === arch()) return {};
  const cross = CROSS[target];
  if (cross === undefined) throw new Error(`prebuild: no cross toolchain known for ${target}`);
  const { triplet } = cross;
  if (!onPath(`${triplet}-g++`)) {
    throw new Error(`prebuild: ${triplet}-g++ is not installed (apt-get install -y ${cross.apt})`);
  }
  return {
    CC: `${triplet}-gcc`,
    CXX: `${triplet}-g++`,
    LINK: `${triplet}-g++`,
    AR: `${triplet}-ar`,
    PREBUILD_STRIP_BIN: `${triplet}-strip`,
  };
}

/** A scratch directory with the addon's sources and a link to this checkout's node_modules. */
function stage() {
  const dir = mkdtempSync(join(tmpdir(), 'ixgbevf-prebuild-'));
  for (const entry of ['package.json', 'binding.gyp', 'native']) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function prebuild(target, staging) {
  const nodedir = localNodeDir();
  if (nodedir === undefined) throw new Error(`prebuild: ${process.execPath} ships no headers (include/node/node_api.h)`);
  const env = {
    ...process.env,
    ...toolchainEnv(target),
    npm_config_nodedir: nodedir, // node-gyp takes Node's headers from here instead of downloading
    PREBUILD_NODE_GYP: require.resolve('node-gyp/bin/node-gyp.js'),
  };
  const bin = require.resolve('prebuildify/bin.js');
  const args = [
    bin,
    '--napi', '--strip', '--tag-libc',
    '--name', 'node.napi', // file name tags: runtime node, Node-API (node-gyp-build: any Node version)
    '--arch', target,
    '--target', `node@${process.versions.node}`, // headers of this Node; the binary is Node-API 8 only
    '--out', root,
    '--cache', join(staging, '.node-gyp'),
  ];
  console.log(`prebuild: linux-${target}`);
  const r = spawnSync(process.execPath, args, { cwd: staging, env, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`prebuild: prebuildify for linux-${target} failed (exit ${r.status})`);
}

const targets = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['x64', 'arm64'];
const staging = stage();
try {
  for (const target of targets) {
    rmSync(join(root, 'prebuilds', `linux-${target}`), { recursive: true, force: true });
    prebuild(target, staging);
  }
} catch (err) {
  console.error(err.message);
  process.exitCode = 1;
} finally {
  rmSync(staging, { recursive: true, force: true });
}
