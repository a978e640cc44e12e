// `npm run test:pack`: packs this working tree exactly as `npm pack`/`npm publish` would (prepack builds
// the linux-x64 and cross-compiled linux-arm64 prebuilds, prepare compiles dist/), then installs the
// tarball the way users do, with python3, make, g++, cc and c++ hidden from PATH: into an empty project
// (install scripts allowed, so the install script must choose the prebuild instead of compiling) and
// globally (npm's default: dependency install scripts blocked, so node-gyp-build must find the prebuild
// at run time). It runs the installed `ixgbevf` (compiled from the packed V8 code cache), require()s the ESM package from CommonJS, type-checks a
// strict TypeScript consumer, and checks both prebuilds' ELF headers. Slow (~1 min): not part of `npm test`.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const work = mkdtempSync(join(tmpdir(), 'ixgbevf-pack-'));
const COMPILERS = ['python3', 'python', 'make', 'g++', 'gcc', 'cc', 'c++'];

/** A PATH directory of symlinks to what npm and the CLI need, and no compiler or python. */
function toolsOnlyPath(): string {
  const bin = join(work, 'tools-bin');
  mkdirSync(bin);
  for (const tool of ['node', 'npm', 'npx', 'sh', 'env', 'ls', 'cat']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    assert.ok(found !== '', `${tool} is on this machine's PATH`);
    symlinkSync(found, join(bin, tool));
  }
  return bin;
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeout ?? 300_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** e_machine of an ELF64 little-endian file (62 = x86-64, 183 = AArch64). */
function elfMachine(file: string): number {
  const head = readFileSync(file).subarray(0, 20);
  assert.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${file} is an ELF file`);
  assert.equal(head[4], 2, `${file} is ELF64`);
  assert.equal(head[5], 1, `${file} is little-endian`);
  return head.readUInt16LE(18);
}

let tarball = '';
let hiddenEnv: NodeJS.ProcessEnv = {};
const consumer = join(work, 'consumer');
const installed = join(consumer, 'node_modules', pkg.name);

before(() => {
  // Pack a copy of the working tree (tracked and new files), so the checkout's dist/ and build/ are untouched.
  const stage = join(work, 'repo');
  const listed = ok(run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot }), 'git ls-files');
  for (const file of listed.split('\0').filter((f) => f !== '' && !f.startsWith('prebuilds/'))) {
    if (!existsSync(join(repoRoot, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(stage, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(stage, file));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(stage, 'node_modules'));
  const packed = ok(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage, timeout: 600_000 }), 'npm pack');
  const json = packed.slice(packed.indexOf('[')); // lifecycle scripts print before npm's JSON
  tarball = join(work, (JSON.parse(json) as { filename: string }[])[0]!.filename);

  hiddenEnv = { ...process.env, PATH: toolsOnlyPath(), npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({
    name: 'consumer', version: '1.0.0', private: true, type: 'commonjs',
    allowScripts: { [pkg.name]: true }, // what `npm install-scripts approve ixgbevf-vfio` records
  }, null, 2));
});

after(() => rmSync(work, { recursive: true, force: true }));

describe('the packed tarball, installed with no compiler on PATH', () => {
  test('the PATH used below really hides python3, make and the C/C++ compilers', () => {
    for (const tool of COMPILERS) {
      const r = run('sh', ['-c', `command -v ${tool}`], { cwd: work, env: hiddenEnv });
      assert.notEqual(r.status, 0, `${tool} must not be found, found ${r.stdout.trim()}`);
    }
  });

  test('installs into an empty project: the install script picks the linux-x64 prebuild, builds nothing', () => {
    const out = ok(run('npm', ['install', '--foreground-scripts', tarball], { cwd: consumer, env: hiddenEnv }), 'npm install <tarball>');
    assert.match(out, /ixgbevf-vfio: using the prebuilt addon prebuilds\/linux-x64\/node\.napi\.glibc\.node/);
    assert.equal(existsSync(join(installed, 'build')), false, 'no build/ directory: nothing was compiled');
  });

  test('ixgbevf --version and ixgbevf set-mac sim run from the installed package', () => {
    const bin = join(consumer, 'node_modules', '.bin', 'ixgbevf');
    assert.equal(ok(run(bin, ['--version'], { cwd: consumer, env: hiddenEnv }), 'ixgbevf --version').trim(), pkg.version);
    const out = ok(run(bin, ['set-mac', 'sim', '02:00:00:00:00:01'], { cwd: consumer, env: hiddenEnv }), 'ixgbevf set-mac sim');
    assert.match(out, /MAC set to 02:00:00:00:00:01/);
  });

  test('the installed bin compiles its bundle from the V8 code cache packed beside it (made by prepare with this Node)', () => {
    const files = ok(run('tar', ['-tzf', tarball], { cwd: work }), 'tar -t').split('\n');
    for (const f of ['dist/ixgbevf.mjs', 'dist/ixgbevf-cli.cjs', 'dist/ixgbevf-cli.cache']) assert.ok(files.includes(`package/${f}`), `the tarball ships ${f}`);
    const bin = join(consumer, 'node_modules', '.bin', 'ixgbevf');
    const r = run(bin, ['set-mac', 'sim', '02:00:00:00:00:02'], { cwd: consumer, env: { ...hiddenEnv, IXGBEVF_DEBUG_CODE_CACHE: '1' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^ixgbevf: code cache used\n/);
    assert.match(r.stdout, /MAC set to 02:00:00:00:00:02/);
    // Without the cache (as on another Node version) the same command still works.
    const cache = join(installed, 'dist', 'ixgbevf-cli.cache');
    renameSync(cache, `${cache}.hidden`);
    try {
      const cold = run(bin, ['set-mac', 'sim', '02:00:00:00:00:02'], { cwd: consumer, env: { ...hiddenEnv, IXGBEVF_DEBUG_CODE_CACHE: '1' } });
      assert.equal(cold.status, 0, cold.stderr);
      assert.match(cold.stderr, /^ixgbevf: code cache none\n/);
      assert.equal(cold.stdout, r.stdout);
    } finally {
      renameSync(`${cache}.hidden`, cache);
    }
  });

  test('the installed library loads the x64 prebuild through node-gyp-build', () => {
    const script = `
      const { createRequire } = require('node:module');
      const req = createRequire(require.resolve(${JSON.stringify(pkg.name)}));
      const file = req('node-gyp-build').path(${JSON.stringify(installed)});
      const addon = require(file);
      console.log(JSON.stringify({ file, platformSupported: addon.platformSupported, fn: typeof addon.createEventFd }));`;
    const out = JSON.parse(ok(run('node', ['-e', script], { cwd: consumer, env: hiddenEnv }), 'load prebuild')) as { file: string; platformSupported: boolean; fn: string };
    assert.equal(out.file, join(installed, 'prebuilds', 'linux-x64', 'node.napi.glibc.node'));
    assert.equal(out.platformSupported, true);
    assert.equal(out.fn, 'function');
    assert.equal(elfMachine(out.file), 62, 'x86-64');
  });

  test('the linux-arm64 prebuild is an AArch64 ELF shared object (e_machine 183)', () => {
    const file = join(installed, 'prebuilds', 'linux-arm64', 'node.napi.glibc.node');
    assert.equal(elfMachine(file), 183);
    assert.equal(readFileSync(file).readUInt16LE(16), 3, 'ET_DYN');
  });

  test('require() of the ESM package from a CommonJS script works on this Node (engines: ^20.19 || >=22.12)', () => {
    writeFileSync(join(consumer, 'use.cjs'), `
      const lib = require(${JSON.stringify(pkg.name)});
      console.log(JSON.stringify({ openVf: typeof lib.openVf, errors: typeof lib.PfNackError }));`);
    const r = run('node', ['use.cjs'], { cwd: consumer, env: hiddenEnv });
    assert.deepEqual(JSON.parse(ok(r, 'require from CJS')), { openVf: 'function', errors: 'function' });
    const engines = (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { engines: { node: string } }).engines;
    assert.equal(engines.node, '^20.19.0 || >=22.12.0');
  });

  test('the published types compile for a strict TypeScript consumer (with @types/node, the optional peer)', () => {
    mkdirSync(join(consumer, 'node_modules', '@types'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'));
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['node'], skipLibCheck: false },
      files: ['main.mts'],
    }));
    writeFileSync(join(consumer, 'main.mts'), `
      import { openVf, PfNackError } from ${JSON.stringify(pkg.name)};
      const handle = await openVf('sim');
      const result: { permanentMac: string | null } = await handle.vf.reset();
      try { await handle.vf.setMac('02:00:00:00:00:01'); } catch (err) { if (err instanceof PfNackError) console.error(err.hint); }
      console.log(result.permanentMac);
      await handle.close();
    `);
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    ok(run('node', [tsc, '-p', 'tsconfig.json'], { cwd: consumer, env: hiddenEnv }), 'tsc (consumer)');
  });

  test('the tarball ships no source maps, no src/, no rig scripts or test runners', () => {
    const files = ok(run('tar', ['-tzf', tarball], { cwd: work }), 'tar -t').split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    assert.ok(files.includes('LICENSE'));
    assert.deepEqual(files.filter((f) => /\.map$|^src\/|^scripts\/vm\/|^test\/|^bench\/|run-tests|^\.ci\//.test(f)), []);
    assert.equal(existsSync(join(installed, 'dist', 'index.js.map')), false);
  });

  test('npm install -g of the tarball (install scripts blocked: npm default) gives a working ixgbevf', () => {
    const prefix = join(work, 'global');
    ok(run('npm', ['install', '-g', '--prefix', prefix, tarball], { cwd: work, env: hiddenEnv }), 'npm install -g <tarball>');
    const bin = join(prefix, 'bin', 'ixgbevf');
    const r = run(bin, ['set-mac', 'sim', '02:00:00:00:00:01'], { cwd: work, env: { ...hiddenEnv, IXGBEVF_DEBUG_CODE_CACHE: '1' } });
    assert.equal(r.status, 0, `global ixgbevf set-mac sim: ${r.stderr}`);
    assert.match(r.stdout, /MAC set to 02:00:00:00:00:01/);
    assert.match(r.stderr, /^ixgbevf: code cache used\n/);
    assert.deepEqual(readdirSync(join(prefix, 'lib', 'node_modules', pkg.name, 'prebuilds')).sort(), ['linux-arm64', 'linux-x64']);
  });

  test('npm install -g installs the man page (package.json man): share/man/man1/ixgbevf.1, rendered by man -l without a warning', () => {
    const files = ok(run('tar', ['-tzf', tarball], { cwd: work }), 'tar -t').split('\n');
    assert.ok(files.includes('package/dist/man/ixgbevf.1'), 'the tarball ships dist/man/ixgbevf.1');
    const page = join(work, 'global', 'share', 'man', 'man1', 'ixgbevf.1');
    assert.ok(existsSync(page), `${page} exists (npm links the man field on a global install)`);
    assert.match(readFileSync(page, 'utf8'), /^\.TH IXGBEVF 1 /m);
    const hasMan = run('sh', ['-c', 'command -v man'], { cwd: work }).status === 0;
    if (!hasMan) return; // rendering is checked by test/unit/cli-man.test.ts where man or groff exists
    const r = run('man', ['--warnings', '-l', page], { cwd: work, env: { ...process.env, MANWIDTH: '80', PAGER: 'cat', MANPAGER: 'cat' } });
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /ixgbevf completion/);
  });

  test('no prebuild for this platform: ERR_ADDON_MISSING whose hint builds from source (compilers back on PATH)', () => {
    const prebuilds = join(installed, 'prebuilds', 'linux-x64');
    renameSync(prebuilds, prebuilds + '.hidden'); // as on a platform without a prebuild
    const probe = `
      const { loadNative } = await import(${JSON.stringify(pathToFileURL(join(installed, 'dist', 'native.js')).href)});
      try { const addon = loadNative(); console.log(JSON.stringify({ loaded: addon.platformSupported })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, hint: e.hint })); }`;
    const missing = JSON.parse(ok(run('node', ['--input-type=module', '-e', probe], { cwd: consumer, env: hiddenEnv }), 'probe')) as { code: string; hint: string };
    assert.equal(missing.code, 'ERR_ADDON_MISSING');
    const command = missing.hint.split('   (')[0]!;
    assert.equal(command, `node ${join(installed, 'scripts', 'build-native.mjs')}`);
    // Without compilers the build fails loudly, naming what is missing.
    const failed = run('sh', ['-c', command], { cwd: consumer, env: hiddenEnv });
    assert.notEqual(failed.status, 0);
    assert.match(failed.stderr, /Needs python3, make and g\+\+/);
    // With them, the hint's command builds the addon in place and the loader picks it up.
    const env = { ...process.env, npm_config_node_gyp: undefined, npm_execpath: undefined };
    ok(run('sh', ['-c', command], { cwd: consumer, env }), 'the hint command');
    assert.deepEqual(JSON.parse(ok(run('node', ['--input-type=module', '-e', probe], { cwd: consumer, env: hiddenEnv }), 'probe')), { loaded: true });
    assert.ok(existsSync(join(installed, 'build', 'Release', 'ixgbevf_vfio.node')));
  });
});
