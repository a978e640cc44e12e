/**
 * The shipped systemd units and the documented config example: both units are Type=notify, take the VFs
 * from a config file (no VF in ExecStart: an admin never edits it), do not restart into a bad config
 * (exit 2), pass `systemd-analyze verify` where systemd is installed; the config example in
 * docs/daemon.md passes the daemon's validator. Both units give the daemon the same environment
 * (NODE_OPTIONS capping V8's young generation; IXGBEVF_NODE_FLAGS, node's own flags, which ExecStart's
 * shell passes to node with the ixgbevf it finds on PATH — run here with a fake node and bin), which Node
 * accepts, and which is exactly what the bench's daemons run with (bench/daemon.ts reads it from the unit;
 * its reader follows systemd.exec(5)).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
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
    assert.match(exec[0]!, /"\$\$bin" daemon --config \/etc\/ixgbevf\/(daemon|%i)\.json/);
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

/** What systemd hands /bin/sh for the unit's ExecStart (`$$` is a literal `$`, %i the instance name). */
function execStartScript(unit: string, instance = 'site'): string {
  const exec = directives(readFileSync(path.join(root, 'scripts', unit), 'utf8')).get('ExecStart')![0]!;
  const m = /^\/bin\/sh -c '([^']*)'$/.exec(exec);
  assert.ok(m !== null, `ExecStart is /bin/sh -c '…': ${exec}`);
  return m[1]!.replaceAll('$$', '$').replaceAll('%i', instance);
}

/** A PATH with a fake `node` that prints its PID and then its arguments one per line, and optionally a fake `ixgbevf`. */
function fakePath(withBin: boolean): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'node'), '#!/bin/sh\necho "pid=$$"\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
  if (withBin) writeFileSync(path.join(dir, 'ixgbevf'), '#!/bin/sh\nexit 99\n', { mode: 0o755 });
  return dir;
}

for (const [unit, args] of [
  ['ixgbevf.service', ['daemon', '--config', '/etc/ixgbevf/daemon.json', '--state-dir', '/var/lib/ixgbevf']],
  ['ixgbevf@.service', ['daemon', '--config', '/etc/ixgbevf/site.json', '--socket', '/run/ixgbevf/site.sock', '--state-dir', '/var/lib/ixgbevf/site']],
] as const) {
  test(`${unit}: ExecStart runs node with IXGBEVF_NODE_FLAGS on the ixgbevf found on PATH, in the same process`, () => {
    const env = unitEnvironment(readFileSync(path.join(root, 'scripts', unit), 'utf8'));
    const dir = fakePath(true);
    const r = spawnSync('/bin/sh', ['-c', execStartScript(unit)], { env: { ...env, PATH: dir }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    const flags = env['IXGBEVF_NODE_FLAGS']!.split(' ');
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [`pid=${r.pid}`, ...flags, path.join(dir, 'ixgbevf'), ...args], 'exec: node has the shell\'s PID');
  });

  test(`${unit}: ExecStart without ixgbevf on PATH exits 2 (no restart loop) and says so`, () => {
    const env = unitEnvironment(readFileSync(path.join(root, 'scripts', unit), 'utf8'));
    const r = spawnSync('/bin/sh', ['-c', execStartScript(unit)], { env: { ...env, PATH: fakePath(false) }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^ixgbevf: not found on PATH \(/);
    assert.equal(r.stdout, '');
  });
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
