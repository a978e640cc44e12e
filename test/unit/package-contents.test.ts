// What the npm tarball contains and declares, from `npm pack --dry-run --json` (no scripts run, so this
// is fast; the full install test is `npm run test:pack`, test/pack/pack.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

describe('the man page', () => {
  test('package.json man names the page the build writes; build and prepare generate it after tsc', () => {
    assert.deepEqual(pkg['man'], ['./dist/man/ixgbevf.1']);
    for (const script of ['build', 'prepare']) {
      assert.match(pkg.scripts[script]!, /tsc -p tsconfig\.json && .*node scripts\/gen-man\.mjs$/, script);
    }
    assert.ok(pkg.files.includes('dist'), 'dist/man is inside a packed directory');
  });

  test('scripts/gen-man.mjs writes the page the CLI renders (from the compiled program)', { skip: !existsSync(join(repoRoot, 'dist', 'cli', 'man-page.js')) && 'dist/ not built (npm run build builds it)' }, () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ixgbevf-gen-man-')), 'ixgbevf.1');
    try {
      const r = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'gen-man.mjs'), out], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '1764892800' } });
      assert.equal(r.status, 0, r.stderr);
      const page = readFileSync(out, 'utf8');
      assert.match(page, /^\.TH IXGBEVF 1 "2025-12-05" "ixgbevf-vfio \d+\.\d+\.\d+" "User Commands"$/m);
      for (const sh of ['NAME', 'SYNOPSIS', 'COMMANDS', 'EXIT STATUS', 'FILES']) assert.match(page, new RegExp(`^\\.SH ${sh}$`, 'm'));
      assert.match(page, /^\.SS\n\\fBixgbevf set\\-mac\\fR/m);
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });
});

describe('the README\'s command in a checkout: npm run ixgbevf -- …', () => {
  // `npx ixgbevf` in the repository would not run this checkout: npm exec always installs a local
  // package whose own bin matches into its npx cache (libnpmexec: hasPkgBin → directory spec), which
  // rebuilds the addon and dist there (≈12–20 s, silent) the first time. The npm script runs dist/ as
  // `npm ci` built it, with the exit code of the CLI.
  test('the ixgbevf script runs the bundled CLI, the same file as the bin', () => {
    assert.equal(pkg.scripts['ixgbevf'], 'node dist/ixgbevf.mjs');
    assert.equal((pkg['bin'] as Record<string, string>)['ixgbevf'], './dist/ixgbevf.mjs');
    for (const script of ['prepare', 'build']) assert.match(pkg.scripts[script] ?? '', /tsc -p tsconfig\.json && node scripts\/bundle-cli\.mjs/);
  });

  const bundled = join(repoRoot, 'dist', 'ixgbevf.mjs');
  const unbundled = join(repoRoot, 'dist', 'cli', 'main.js');
  const notBuilt = !(existsSync(bundled) && existsSync(unbundled)) && 'dist/ not built (npm ci builds it)';

  test('the bundle (the bin) and the tsc build behave the same: help, a result document, an error and its exit code', { skip: notBuilt }, () => {
    const cases = [['--help'], ['info', 'sim:family=82576', '--json'], ['vlan', 'sim', 'add', '4095', '--json'], ['set-mac', 'sim:mac=02:aa:aa:aa:aa:aa,trust=off', '02:00:00:00:00:01']];
    const volatile = (text: string): string => text.replace(/"(interrupts|irqWakeups|timerWakeups|msgsTx|msgsRx|acks|reqs|rsts|timeouts)":\d+/g, '"$1":N');
    for (const args of cases) {
      const a = spawnSync(process.execPath, [bundled, ...args], { encoding: 'utf8', timeout: 30_000 });
      const b = spawnSync(process.execPath, [unbundled, ...args], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(a.status, b.status, `${args.join(' ')}: exit ${a.status} vs ${b.status}\n${a.stderr}`);
      assert.equal(volatile(a.stdout), volatile(b.stdout), args.join(' '));
      assert.equal(a.stderr, b.stderr, args.join(' '));
    }
  });

  test('npm run ixgbevf passes arguments and the exit code through (5: the PF refused)', { skip: notBuilt }, () => {
    const r = spawnSync('npm', ['run', '-s', 'ixgbevf', '--', 'set-mac', 'sim:mac=02:aa:aa:aa:aa:aa,trust=off', '02:00:00:00:00:01'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, /trust[ =]on/);
  });
});
