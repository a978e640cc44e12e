/**
 * The shipped systemd units and the documented config example: both units are Type=notify, take the VFs
 * from a config file (no VF in ExecStart: an admin never edits it), do not restart into a bad config
 * (exit 2), pass `systemd-analyze verify` where systemd is installed; the config example in
 * docs/daemon.md passes the daemon's validator. Both units give the daemon the same environment
 * (NODE_OPTIONS capping V8's young generation; IXGBEVF_NODE_FLAGS, node's own flags, which ExecStart's
 * shell passes to node when the ixgbevf it finds on PATH is a JavaScript file, and leaves out, with a note,
 * when it is a wrapper; exit 2 when ixgbevf, or the node it needs, is missing — run here with fake node and
 * bins under /bin/sh, bash and busybox), which Node
 * accepts, and which is exactly what the bench's daemons run with (bench/daemon.ts reads it from the unit;
 * its reader follows systemd.exec(5)).
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { daemonEnvironment, SERVICE_UNIT, unitEnvironment, unitNodeFlags } from '../../bench/daemon.js';
import { parseConfig } from '../../src/daemon/config.js';
import { tempDir } from '../helpers/cli-daemon.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const units = ['ixgbevf.service', 'ixgbevf@.service'];

function directives(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m !== null) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

for (const unit of units) {
  test(`${unit}: Type=notify, VFs from --config, no restart on exit 2, loopback-only network`, () => {
    const d = directives(readFileSync(path.join(root, 'scripts', unit), 'utf8'));
    assert.deepEqual(d.get('Type'), ['notify']);
    assert.deepEqual(d.get('NotifyAccess'), ['main']);
    const exec = d.get('ExecStart')!;
    assert.equal(exec.length, 1);
    assert.match(exec[0]!, /' ixgbevf daemon --config \/etc\/ixgbevf\/(daemon|%i)\.json/);
    assert.doesNotMatch(exec[0]!, /[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/, 'no VF in ExecStart');
    assert.deepEqual(d.get('RestartPreventExitStatus'), ['2']);
    assert.ok(d.get('RestrictAddressFamilies')![0]!.split(' ').includes('AF_UNIX'), 'AF_UNIX for the notify and control sockets');
    assert.deepEqual(d.get('IPAddressAllow'), ['localhost']);
  });
}

const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
test('systemd-analyze verify accepts both units', { skip: analyze.status === 0 ? false : 'systemd-analyze is not installed' }, () => {
  const dir = tempDir();
  copyFileSync(path.join(root, 'scripts', 'ixgbevf.service'), path.join(dir, 'ixgbevf.service'));
  copyFileSync(path.join(root, 'scripts', 'ixgbevf@.service'), path.join(dir, 'ixgbevf@site.service'));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', './ixgbevf.service', './ixgbevf@site.service'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /ixgbevf(@site)?\.service:\d+:/.test(l));
  assert.deepEqual(complaints, []);
  assert.equal(r.status, 0, r.stderr);
});

test('the config example in docs/daemon.md is valid', () => {
  const doc = readFileSync(path.join(root, 'docs', 'daemon.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### The config file'));
  const m = /```json\n([\s\S]*?)```/.exec(section);
  assert.ok(m !== null, 'an example');
  const config = parseConfig(JSON.parse(m[1]!));
  assert.deepEqual([...config.vfs.keys()], ['0000:03:10.0', '0000:03:10.2']);
  assert.equal(config.metrics, '127.0.0.1:9464');
});

const environments = units.map((unit) => unitEnvironment(readFileSync(path.join(root, 'scripts', unit), 'utf8')));

test('both units cap V8\'s young generation through NODE_OPTIONS, the same way', () => {
  for (const env of environments) assert.match(env.NODE_OPTIONS ?? '', /(^| )--max-semi-space-size=1( |$)/);
  assert.deepEqual(environments[1], environments[0]);
});

test('Node accepts the units\' NODE_OPTIONS (a V8 flag it does not allow there would stop the daemon)', () => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.NODE_OPTIONS ?? "")'], { env: { PATH: process.env.PATH, ...environments[0] }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, environments[0]!.NODE_OPTIONS);
  // The check can fail: a flag Node refuses in NODE_OPTIONS.
  const bad = spawnSync(process.execPath, ['-e', '0'], { env: { PATH: process.env.PATH, NODE_OPTIONS: '--no-memory-reducer' }, encoding: 'utf8', timeout: 30_000 });
  assert.notEqual(bad.status, 0);
});

/**
 * The argv systemd runs for the unit's ExecStart: words split on blanks, a word in single quotes kept whole
 * (the only quoting the units use), then `$$` a literal `$` and %i the instance name in every word.
 */
function execStartArgv(unit: string, instance = 'site'): string[] {
  const exec = directives(readFileSync(path.join(root, 'scripts', unit), 'utf8')).get('ExecStart')![0]!;
  const words = [...exec.matchAll(/'([^']*)'|([^\s']+)/g)].map((m) => m[1] ?? m[2]!);
  assert.equal(exec.replaceAll(/'[^']*'|[^\s']+/g, '').trim(), '', `only blanks between the words (no stray quote): ${exec}`);
  assert.deepEqual(words.slice(0, 2), ['/bin/sh', '-c'], `ExecStart is /bin/sh -c '…' …: ${exec}`);
  assert.doesNotMatch(words[2]!, /\\|%(?!i)/, 'no backslash (systemd would unescape it) and no specifier but %i in the script');
  return words.map((w) => w.replaceAll('$$', '$').replaceAll('%i', instance));
}

/** The shells ExecStart must work with: /bin/sh here (dash on Debian), and bash and busybox when installed (/bin/sh elsewhere). */
const shells: [string, string[]][] = [['/bin/sh', []]];
/** Where `name` is on our PATH (the tests run the shells with a PATH of their own). */
const which = (name: string): string => spawnSync('/bin/sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
if (which('bash') !== '') shells.push([which('bash'), ['--posix']]);
if (which('busybox') !== '') shells.push([which('busybox'), ['sh']]);

/** A script that prints `<name> pid=<its pid>` and then its arguments one per line. */
const ECHO_ARGS = (name: string): string => `#!/bin/sh\necho "${name} pid=$$"\nfor a in "$@"; do printf "%s\\n" "$a"; done\n`;

type BinKind = 'mjs-symlink' | 'cjs-symlink-no-shebang' | 'node-shebang' | 'sh-wrapper' | 'none';

/**
 * A PATH directory (nothing else on PATH) with: a fake `node` (prints its PID and arguments) unless
 * `node` is false; `readlink` (the real one); and `ixgbevf` as `bin` says — a symlink to a .mjs with
 * `#!/usr/bin/env node` (as npm installs it), a symlink to a .cjs without a `#!` line, a plain file with
 * `#!/usr/bin/node`, a `#!/bin/sh` wrapper (as pnpm, Volta or a distribution install it; it prints its
 * own PID and arguments), or none.
 */
function fakePath(bin: BinKind, node = true): string {
  const dir = tempDir();
  if (node) writeFileSync(path.join(dir, 'node'), ECHO_ARGS('node'), { mode: 0o755 });
  symlinkSync(which('readlink'), path.join(dir, 'readlink'));
  const lib = path.join(tempDir(), 'lib');
  mkdirSync(lib);
  const js = 'process.exit(99);\n';
  if (bin === 'mjs-symlink') {
    writeFileSync(path.join(lib, 'ixgbevf.mjs'), `#!/usr/bin/env node\n${js}`, { mode: 0o755 });
    symlinkSync(path.join(lib, 'ixgbevf.mjs'), path.join(dir, 'ixgbevf'));
  } else if (bin === 'cjs-symlink-no-shebang') {
    writeFileSync(path.join(lib, 'cli.cjs'), js, { mode: 0o755 });
    symlinkSync(path.join(lib, 'cli.cjs'), path.join(dir, 'ixgbevf'));
  } else if (bin === 'node-shebang') {
    writeFileSync(path.join(dir, 'ixgbevf'), `#!/usr/bin/node --stack-size=2000\n${js}`, { mode: 0o755 });
  } else if (bin === 'sh-wrapper') {
    writeFileSync(path.join(dir, 'ixgbevf'), ECHO_ARGS('wrapper'), { mode: 0o755 });
  }
  return dir;
}

function runExecStart(unit: string, shell: [string, string[]], env: Record<string, string>): SpawnSyncReturns<string> {
  const [, , script, ...rest] = execStartArgv(unit);
  // stdin not a socket: bash would take that for rshd and read ~/.bashrc.
  return spawnSync(shell[0], [...shell[1], '-c', script!, ...rest], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

for (const [unit, args] of [
  ['ixgbevf.service', ['daemon', '--config', '/etc/ixgbevf/daemon.json', '--state-dir', '/var/lib/ixgbevf']],
  ['ixgbevf@.service', ['daemon', '--config', '/etc/ixgbevf/site.json', '--socket', '/run/ixgbevf/site.sock', '--state-dir', '/var/lib/ixgbevf/site']],
] as const) {
  const env = unitEnvironment(readFileSync(path.join(root, 'scripts', unit), 'utf8'));
  const flags = env['IXGBEVF_NODE_FLAGS']!.split(' ');
  for (const shell of shells) {
    const sh = shell[0];
    for (const kind of ['mjs-symlink', 'cjs-symlink-no-shebang', 'node-shebang'] as const) {
      test(`${unit} (${sh}): a JavaScript ixgbevf on PATH (${kind}) is run by node with IXGBEVF_NODE_FLAGS, in the same process`, () => {
        const dir = fakePath(kind);
        const r = runExecStart(unit, shell, { ...env, PATH: dir });
        assert.equal(r.stderr, '');
        assert.equal(r.status, 0);
        assert.deepEqual(r.stdout.trimEnd().split('\n'), [`node pid=${r.pid}`, ...flags, path.join(dir, 'ixgbevf'), ...args], 'exec: node has the shell\'s PID');
      });
    }

    test(`${unit} (${sh}): a shell wrapper on PATH is exec'd itself, without the node flags, and a note says so`, () => {
      const dir = fakePath('sh-wrapper');
      const r = runExecStart(unit, shell, { ...env, PATH: dir });
      assert.equal(r.status, 0);
      assert.deepEqual(r.stdout.trimEnd().split('\n'), [`wrapper pid=${r.pid}`, ...args], 'exec: the wrapper has the shell\'s PID, node was not run');
      assert.equal(r.stderr, `ixgbevf: ${path.join(dir, 'ixgbevf')} is not a JavaScript file run by node: started without IXGBEVF_NODE_FLAGS (${flags.join(' ')})\n`);
      // No flags configured (a drop-in removed them): nothing to note.
      const quiet = runExecStart(unit, shell, { ...env, IXGBEVF_NODE_FLAGS: '', PATH: dir });
      assert.equal(quiet.stderr, '');
      assert.equal(quiet.status, 0);
      assert.deepEqual(quiet.stdout.trimEnd().split('\n'), [`wrapper pid=${quiet.pid}`, ...args]);
    });

    test(`${unit} (${sh}): a JavaScript ixgbevf without node on PATH exits 2 (no restart loop) and says so`, () => {
      const dir = fakePath('mjs-symlink', false);
      const r = runExecStart(unit, shell, { ...env, PATH: dir });
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `ixgbevf: node not found on PATH (${dir}); ${path.join(dir, 'ixgbevf')} needs it\n`);
      assert.equal(r.stdout, '');
    });

    test(`${unit} (${sh}): without ixgbevf on PATH it exits 2 (no restart loop) and says so`, () => {
      const dir = fakePath('none');
      const r = runExecStart(unit, shell, { ...env, PATH: dir });
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `ixgbevf: not found on PATH (${dir})\n`);
      assert.equal(r.stdout, '');
    });

    test(`${unit} (${sh}): IXGBEVF_NODE_FLAGS is split on blanks, never glob-expanded`, () => {
      const dir = fakePath('mjs-symlink');
      writeFileSync(path.join(dir, '--expose-gc-and-more'), '');
      const r = runExecStart(unit, shell, { ...env, IXGBEVF_NODE_FLAGS: '  --expose-gc*  --a?c ', PATH: dir });
      assert.equal(r.stderr, '');
      assert.equal(r.status, 0);
      assert.deepEqual(r.stdout.trimEnd().split('\n'), [`node pid=${r.pid}`, '--expose-gc*', '--a?c', path.join(dir, 'ixgbevf'), ...args]);
    });
  }
}

test('both units start node without V8\'s memory reducer, with gc exposed, the same way; node accepts the flags', () => {
  for (const env of environments) assert.equal(env['IXGBEVF_NODE_FLAGS'], '--no-memory-reducer --expose-gc --compact-on-every-full-gc');
  const flags = environments[0]!['IXGBEVF_NODE_FLAGS']!.split(' ');
  const script = path.join(tempDir(), 'probe.js');
  writeFileSync(script, 'process.stdout.write(typeof gc + " " + process.execArgv.join(" "));\n');
  const r = spawnSync(process.execPath, [...flags, script], { env: { PATH: process.env.PATH, ...environments[0] }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, `function ${flags.join(' ')}`);
  assert.deepEqual(unitNodeFlags(), flags, 'the bench passes the same flags');
  assert.deepEqual(unitNodeFlags(path.join(root, 'scripts', 'ixgbevf@.service')), flags);
});

test('both units pin glibc\'s malloc thresholds the same way, and node runs with them', () => {
  for (const env of environments) assert.equal(env['GLIBC_TUNABLES'], 'glibc.malloc.trim_threshold=131072:glibc.malloc.mmap_threshold=131072');
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.env.GLIBC_TUNABLES))'], { env: { PATH: process.env.PATH, ...environments[0] }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, environments[0]!['GLIBC_TUNABLES']);
});

test('the bench starts its daemons with ixgbevf.service\'s environment', () => {
  assert.equal(SERVICE_UNIT, path.join(root, 'scripts', 'ixgbevf.service'));
  const env = daemonEnvironment();
  for (const [k, v] of Object.entries(environments[0]!)) assert.equal(env[k], v, k);
  const other = daemonEnvironment(path.join(root, 'scripts', 'ixgbevf@.service'));
  assert.equal(other.NODE_OPTIONS, environments[1]!.NODE_OPTIONS);
});

test('unitEnvironment reads Environment= as systemd.exec(5) does', () => {
  const text = [
    '[Unit]',
    'Environment=NOT_SERVICE=1',
    '[Service]',
    'Environment=A=1 B=two',
    'Environment="C=with spaces" D=',
    'Environment=A=3',
    'ExecStart=/bin/true',
    '[Install]',
    'Environment=NOT_SERVICE_EITHER=1',
  ].join('\n');
  assert.deepEqual(unitEnvironment(text), { A: '3', B: 'two', C: 'with spaces', D: '' });
  assert.deepEqual(unitEnvironment('[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n'), { B: '2' }, 'an empty assignment resets');
  assert.deepEqual(unitEnvironment('[Service]\nExecStart=/bin/true\n'), {});
  assert.throws(() => unitEnvironment('[Service]\nEnvironment=NOVALUE\n'), /not an assignment/);
  assert.throws(() => unitEnvironment('[Service]\nEnvironment==x\n'), /not an assignment/);
});

test('both units keep /run/ixgbevf when they stop (it holds the other instances\' sockets and lock files)', () => {
  for (const unit of units) {
    const text = readFileSync(path.join(root, 'scripts', unit), 'utf8');
    assert.match(text, /^RuntimeDirectoryPreserve=yes$/m, unit);
  }
});
