// What the npm tarball contains and declares, from `npm pack --dry-run --json` (no scripts run, so this
// is fast; the full install test is `npm run test:pack`, test/pack/pack.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, unknown> & {
  files: string[];
  scripts: Record<string, string>;
  engines: { node: string };
  os: string[];
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function packedFiles(): string[] {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

/** Paths that must never be published: the emulated rig, test runners and tests, benchmarks, CI, sources and maps. */
const FORBIDDEN = [/^scripts\/vm\//, /^scripts\/run-tests\.mjs$/, /^scripts\/prebuild\.mjs$/, /^test\//, /^bench\//, /^\.ci\//, /^src\//, /\.map$/, /^build\//, /\.tgz$/, /^node_modules\//];

describe('npm package contents', () => {
  test('the tarball lists no rig script, test runner, test, source or source map', () => {
    const files = packedFiles();
    assert.deepEqual(files.filter((f) => FORBIDDEN.some((re) => re.test(f))), []);
    for (const required of ['LICENSE', 'README.md', 'package.json', 'binding.gyp', 'native/addon.cc', 'scripts/build-native.mjs', 'scripts/node-headers.mjs']) {
      assert.ok(files.includes(required), `${required} is packed`);
    }
  });

  test('files: dist, the prebuilds and what the install script needs for a source build', () => {
    assert.deepEqual([...pkg.files].sort(), ['!dist/**/*.map', 'binding.gyp', 'dist', 'native', 'prebuilds', 'scripts/build-native.mjs', 'scripts/node-headers.mjs']);
    assert.equal(pkg.scripts['install'], 'node scripts/build-native.mjs --prefer-prebuild');
    assert.match(pkg.scripts['prepack']!, /scripts\/prebuild\.mjs/);
    assert.ok(pkg.dependencies['node-gyp-build'] !== undefined, 'node-gyp-build loads the prebuilds at run time');
  });

  test('MIT LICENSE file matching package.json', () => {
    assert.equal(pkg['license'], 'MIT');
    const text = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    assert.match(text, /^MIT License\n\nCopyright \(c\) 2026 ixgbevf-vfio contributors\n/);
    assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS"/);
  });

  test('os linux; engines where require() of this ESM package works; @types/node an optional peer', () => {
    assert.deepEqual(pkg.os, ['linux']);
    assert.equal(pkg.engines.node, '^20.19.0 || >=22.12.0');
    assert.equal(pkg.peerDependencies?.['@types/node'], '>=20');
    assert.equal(pkg.peerDependenciesMeta?.['@types/node']?.optional, true);
  });

  test('tsc emits no source maps (the tarball has no src/ for them to point at)', () => {
    const tsconfig = readFileSync(join(repoRoot, 'tsconfig.json'), 'utf8');
    assert.match(tsconfig, /"sourceMap": false/);
    assert.doesNotMatch(tsconfig, /"declarationMap": true/);
    assert.doesNotMatch(tsconfig, /"inlineSourceMap": true/);
  });
});

describe('the README\'s `npx ixgbevf` in a checkout', () => {
  test('the package links itself as a devDependency, so npx finds node_modules/.bin/ixgbevf instead of reinstalling', () => {
    // Without the link, `npx ixgbevf` in the repository installs the checkout into npm's npx cache and
    // rebuilds it there (≈20 s, silent). With it, `npm ci` links node_modules/ixgbevf-vfio -> .. and
    // node_modules/.bin/ixgbevf -> this checkout's dist/cli/main.js.
    assert.equal(pkg.devDependencies['ixgbevf-vfio'], 'file:.');
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { link?: boolean; resolved?: string }> };
    assert.deepEqual(lock.packages['node_modules/ixgbevf-vfio'], { resolved: '', link: true });
    const bin = join(repoRoot, 'node_modules', '.bin', 'ixgbevf');
    assert.ok(existsSync(bin), 'npm ci created node_modules/.bin/ixgbevf (re-run npm ci)');
    assert.equal(realpathSync(bin), join(realpathSync(repoRoot), 'dist', 'cli', 'main.js'));
  });
});
