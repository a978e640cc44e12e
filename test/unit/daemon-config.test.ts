/**
 * `--config /etc/ixgbevf/daemon.json`: every bad field is named by its path in one ERR_CONFIG_INVALID
 * (exit 2); an unreadable or untrusted file is refused (exit 3); the command line wins over the file; the
 * file's desired fields override the state file's at start (the rest comes from the state file); and on
 * the real binary a daemon started with only `--config` holds the file's VFs with their desired state.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { daemonSettings } from '../../src/daemon/cli-options.js';
import { loadConfig, parseConfig, type ConfigProblem } from '../../src/daemon/config.js';
import { RawConn, tempDir, waitReady } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';
import { startDirectDaemon } from '../helpers/daemon-direct.js';

type Reply = { id: unknown; ok: boolean; result?: Record<string, unknown> };
type ConfigError = { code: string; exitCode: number; message: string; hint?: string; details?: { problems: ConfigProblem[] } };

function problemsOf(doc: unknown): ConfigProblem[] {
  try {
    parseConfig(doc, '/etc/ixgbevf/daemon.json');
  } catch (err) {
    const e = err as ConfigError;
    assert.equal(e.code, 'ERR_CONFIG_INVALID');
    assert.equal(e.exitCode, 2);
    assert.equal(e.hint, 'sudoedit /etc/ixgbevf/daemon.json');
    for (const p of e.details!.problems) assert.ok(e.message.includes(`${p.path}: ${p.problem}`), `the message names ${p.path}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.details!.problems;
  }
  assert.fail('expected ERR_CONFIG_INVALID');
}

test('a valid file: VFs (normalised) with their desired state, and the daemon settings', () => {
  const c = parseConfig({
    vfs: { '03:10.0': { mac: '02:00:00:00:00:01', mtu: 9000, vlans: [200, 100, 100], multicast: ['01:00:5e:00:00:01'], xcast: 'multi' }, sim: {} },
    socket: '/run/ixgbevf/ixgbevf.sock',
    stateDir: '/var/lib/ixgbevf',
    group: 'ixgbevf',
    logFormat: 'json',
    metrics: '127.0.0.1:9464',
    poll: false,
    timeoutMs: 2000,
  });
  assert.deepEqual([...c.vfs.keys()], ['0000:03:10.0', 'sim']);
  assert.deepEqual(c.vfs.get('0000:03:10.0'), { mac: '02:00:00:00:00:01', mtu: 9000, vlans: [100, 200], multicast: ['01:00:5e:00:00:01'], xcast: 'multi' });
  assert.deepEqual(c.vfs.get('sim'), {});
  assert.equal(c.logFormat, 'json');
  assert.equal(c.metrics, '127.0.0.1:9464');
  assert.equal(c.timeoutMs, 2000);
});

test('every bad field is reported with its path, in one exit-2 error', () => {
  const problems = problemsOf({
    vfs: {
      '0000:03:10.0': { mac: '01:00:5e:00:00:01', mtu: 20000, vlans: [100, 4095, '7'], xcast: 'all', color: 'blue' },
      'not-a-vf': {},
      '03:10.0': {},
      sim: [],
    },
    socket: 'relative.sock',
    logFormat: 'xml',
    metrics: 'localhost',
    poll: 'yes',
    timeoutMs: 0,
    group: 'bad group',
    extra: 1,
  });
  assert.deepEqual(problems.map((p) => p.path).sort(), [
    'extra',
    'group',
    'logFormat',
    'metrics',
    'poll',
    'socket',
    'timeoutMs',
    'vfs["0000:03:10.0"].color',
    'vfs["0000:03:10.0"].mac',
    'vfs["0000:03:10.0"].mtu',
    'vfs["0000:03:10.0"].vlans[1]',
    'vfs["0000:03:10.0"].vlans[2]',
    'vfs["0000:03:10.0"].xcast',
    'vfs["03:10.0"]',
    'vfs["not-a-vf"]',
    'vfs["sim"]',
  ]);
  const by = Object.fromEntries(problems.map((p) => [p.path, p.problem]));
  assert.match(by['vfs["03:10.0"]']!, /same VF as an earlier entry \(0000:03:10\.0\)/);
  assert.match(by['logFormat']!, /expected "text" or "json", got string "xml"/);
  assert.match(by['vfs["0000:03:10.0"].vlans[2]']!, /expected a number, got string "7"/);
  assert.match(by['extra']!, /unknown field/);
  assert.deepEqual(problemsOf([]).map((p) => p.path), ['(document)']);
  assert.deepEqual(problemsOf({}).map((p) => p.path), ['vfs']);
  assert.deepEqual(problemsOf({ vfs: {} }).map((p) => p.path), ['vfs']);
});

test('loadConfig: missing or a directory → exit 3; another user could write it → exit 3; not JSON → exit 2', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'daemon.json');
  await assert.rejects(loadConfig(file), (e: ConfigError) => e.code === 'ERR_CONFIG_READ' && e.exitCode === 3 && /ENOENT/.test(e.message));
  mkdirSync(path.join(dir, 'd'));
  await assert.rejects(loadConfig(path.join(dir, 'd')), (e: ConfigError) => e.code === 'ERR_CONFIG_READ' && e.exitCode === 3);
  writeFileSync(file, '{"vfs": {"sim": {}}}');
  chmodSync(file, 0o666);
  await assert.rejects(loadConfig(file), (e: ConfigError) => e.code === 'ERR_CONFIG_UNTRUSTED' && e.exitCode === 3 && e.hint === `chmod go-w ${file}`);
  chmodSync(file, 0o644);
  assert.deepEqual([...(await loadConfig(file)).vfs.keys()], ['sim']);
  writeFileSync(file, '{"vfs": ');
  await assert.rejects(loadConfig(file), (e: ConfigError) => e.code === 'ERR_CONFIG_INVALID' && e.exitCode === 2 && e.details!.problems[0]!.path === '(document)');
});

test('command line and file: options given win, VFs are the union (the file\'s desired state kept), no VF at all is exit 2', async () => {
  const load = async () => parseConfig({ vfs: { sim: { mtu: 9000 } }, socket: '/run/x.sock', stateDir: '/var/lib/x', logFormat: 'json', metrics: '9464', poll: true, timeoutMs: 500 });
  const s = await daemonSettings(['0000:03:10.2', 'sim'], { config: 'f', socket: '/tmp/cli.sock', logFormat: 'text', metrics: '/run/m.sock' }, load);
  assert.deepEqual(s.specs, ['sim', '0000:03:10.2']);
  assert.deepEqual(s.configured.get('sim'), { mtu: 9000 });
  assert.equal(s.socket, '/tmp/cli.sock');
  assert.equal(s.stateDir, '/var/lib/x');
  assert.equal(s.logFormat, 'text');
  assert.equal(s.metrics, '/run/m.sock');
  assert.equal(s.poll, true);
  assert.equal(s.timeoutMs, 500);
  const plain = await daemonSettings(['sim'], {});
  assert.deepEqual({ specs: plain.specs, logFormat: plain.logFormat, poll: plain.poll, metrics: plain.metrics }, { specs: ['sim'], logFormat: 'text', poll: false, metrics: undefined });
  await assert.rejects(daemonSettings([], {}), (e: ConfigError) => e.code === 'ERR_INVALID_ARGUMENT' && e.exitCode === 2);
  await assert.rejects(daemonSettings(['sim'], { metrics: 'nope' }), (e: ConfigError) => e.code === 'ERR_INVALID_METRICS_ADDRESS');
});

test('the file\'s desired fields override the state file\'s at start; the fields it leaves out come from the state file', { timeout: 30_000 }, async () => {
  const stateDir = path.join(tempDir(), 'state');
  const first = await startDirectDaemon(['sim'], { stateDir });
  const conn = await RawConn.open(first.socket);
  await waitReady(conn, 'sim');
  assert.equal((await conn.request<Reply>({ id: 1, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:0a' })).ok, true);
  assert.equal((await conn.request<Reply>({ id: 2, op: 'vlan', vf: 'sim', action: 'add', vlan: 5 })).ok, true);
  conn.close();
  await first.stop();

  const second = await startDirectDaemon(['sim'], { stateDir, configured: new Map([['sim', { mac: '02:00:00:00:00:0b', mtu: 9000 }]]) });
  try {
    const c2 = await RawConn.open(second.socket);
    await waitReady(c2, 'sim');
    const st = await c2.request<Reply>({ id: 3, op: 'status' });
    const vf = (st.result!.vfs as { id: string; desired: Record<string, unknown> }[])[0]!;
    assert.deepEqual(vf.desired, { mac: '02:00:00:00:00:0b', mtu: 9000, vlans: [5], multicast: [], xcast: null });
    c2.close();
    assert.ok(second.log().some((l) => l.event === 'config-applied' && l.fields === 'mac,mtu'));
  } finally {
    await second.stop();
  }
});

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

test('the real binary: `ixgbevf daemon --config <file>` holds the file\'s VFs with their desired state', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const file = path.join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify({ vfs: { sim: { mac: '02:00:00:00:00:0c', vlans: [7] } }, socket, logFormat: 'text' }), { mode: 0o600 });
  const child = new DaemonChild(['--config', file]);
  try {
    await child.waitLog((l) => l.event === 'ready');
    const conn = await RawConn.open(socket);
    const st = await conn.request<Reply>({ id: 1, op: 'status' });
    const vf = (st.result!.vfs as { id: string; desired: Record<string, unknown> }[])[0]!;
    assert.equal(vf.id, 'sim');
    assert.deepEqual(vf.desired, { mac: '02:00:00:00:00:0c', mtu: null, vlans: [7], multicast: [], xcast: null });
    conn.close();
  } finally {
    child.kill('SIGTERM');
    await child.exited;
  }
});

test('the real binary: a bad config file exits 2 naming each bad field, before anything starts', { timeout: 60_000 }, () => {
  const dir = tempDir();
  const file = path.join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify({ vfs: { sim: { mtu: 20000 } }, logFormat: 'xml' }), { mode: 0o600 });
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'daemon', '--config', file, '--socket', path.join(dir, 'd.sock')], { cwd: root, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '' } });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /vfs\["sim"\]\.mtu: /);
  assert.match(r.stderr, /logFormat: expected "text" or "json"/);
  assert.match(r.stderr, new RegExp(`sudoedit ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
});

test('loadConfig: a FIFO at the path is refused at once (not a regular file), never waited on', { timeout: 20_000 }, async () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'daemon.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  await assert.rejects(loadConfig(fifo), (e: ConfigError) => e.code === 'ERR_CONFIG_READ' && e.exitCode === 3 && /not a regular file/.test(e.message));
});

test('config: socket and stateDir with a control character, or a socket path the kernel would cut, are bad fields (exit 2)', () => {
  const nul = problemsOf({ vfs: { sim: {} }, socket: '/run/x\u0000y.sock', stateDir: '/var/lib/a\u0000b' });
  assert.deepEqual(nul.map((p) => p.path).sort(), ['socket', 'stateDir']);
  assert.match(nul.find((p) => p.path === 'socket')!.problem, /control character/);
  const long = problemsOf({ vfs: { sim: {} }, socket: `/run/${'x'.repeat(120)}.sock` });
  assert.match(long[0]!.problem, /a Unix socket path has at most 107/);
});

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;

test('loadConfig: the way to the file is checked as the state directory is: a directory another user may write in (not sticky) is refused, exit 3', async () => {
  const base = tempDir();
  const open = path.join(base, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777); // not sticky: anyone may replace the root-owned file in it
  const file = path.join(open, 'daemon.json');
  writeFileSync(file, '{"vfs":{"sim":{}}}', { mode: 0o600 });
  await assert.rejects(loadConfig(file), (e: ConfigError) => e.code === 'ERR_CONFIG_UNTRUSTED' && e.exitCode === 3 && /is writable by every user \(mode 0777\)/.test(e.message) && e.hint === `chmod go-w ${open}`);
  // A root-owned sticky directory (as /tmp) is safe: others cannot replace our file there.
  chmodSync(open, 0o1777);
  assert.deepEqual([...(await loadConfig(file)).vfs.keys()], ['sim']);
  chmodSync(open, 0o755);
  assert.deepEqual([...(await loadConfig(file)).vfs.keys()], ['sim']);
});

test("loadConfig: another user's symlink on the way is refused (exit 3), also behind root's own link; root's own link is followed", { skip: isRoot ? false : 'needs root to lchown' }, async () => {
  const base = tempDir();
  const sticky = path.join(base, 'tmp');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777); // as /tmp
  const real = path.join(base, 'etc.json');
  writeFileSync(real, '{"vfs":{"sim":{}}}', { mode: 0o600 });
  const planted = path.join(sticky, 'daemon.json');
  symlinkSync(real, planted);
  lchownSync(planted, OTHER_UID, OTHER_UID);
  await assert.rejects(loadConfig(planted), (e: ConfigError) => e.code === 'ERR_CONFIG_UNTRUSTED' && e.exitCode === 3 && /is a symlink owned by uid 65534/.test(e.message));
  const rootLink = path.join(base, 'via-root.json');
  symlinkSync(planted, rootLink);
  await assert.rejects(loadConfig(rootLink), (e: ConfigError) => e.code === 'ERR_CONFIG_UNTRUSTED' && /is a symlink owned by uid 65534/.test(e.message));
  lchownSync(planted, 0, 0);
  assert.deepEqual([...(await loadConfig(rootLink)).vfs.keys()], ['sim']);
});

test('the real daemon refuses a config file in a directory anyone may write in: exit 3 with the chmod fix, nothing opened', { skip: isRoot ? false : 'the tree must be root-owned' }, () => {
  const base = tempDir();
  const open = path.join(base, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const file = path.join(open, 'daemon.json');
  writeFileSync(file, '{"vfs":{"sim":{}}}', { mode: 0o600 });
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'daemon', '--config', file, '--socket', path.join(base, 'd.sock')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /^ixgbevf: error: refusing .*daemon\.json: .*open is writable by every user \(mode 0777\)$/m);
  assert.match(r.stderr, new RegExp(`^ {2}fix: chmod go-w ${open.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
});
