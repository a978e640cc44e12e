/**
 * The control socket's path changing under a running daemon (the real binary in a child process): its
 * socket file removed (a cleanup of /run), removed together with `<socket>.lock`, replaced by a regular
 * file or by another program's socket. The daemon publishes its socket again when the name is free (and
 * takes its lock again), so clients reach it and a second daemon on the path is still refused; it logs a
 * file put in its place with the fix, and its stop never unlinks what is not its own socket (libuv
 * unlinks the path a server listened on at close, whatever is there by then).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { nativePeerCredentials, RawConn, tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';

/** A hang (an event never logged) fails its test instead of the run; not a timing check. */
const GUARD_MS = 60_000;
const needsAddon = nativePeerCredentials ? false : 'needs the native addon (flock)';

async function started(args: string[]): Promise<DaemonChild> {
  const d = new DaemonChild(args);
  await d.waitLog((l) => l.event === 'started');
  return d;
}

async function statusPid(socket: string): Promise<number> {
  const conn = await RawConn.open(socket);
  try {
    const r = await conn.request<{ ok: boolean; result: { pid: number } }>({ id: 1, op: 'status' });
    assert.equal(r.ok, true);
    return r.result.pid;
  } finally {
    conn.close();
  }
}

async function stopped(d: DaemonChild): Promise<void> {
  if (d.alive) d.kill('SIGTERM');
  const e = await d.exited;
  assert.equal(e.code, 0, d.stderr);
}

test('socket file removed while the daemon runs: published again (socket-recreated), clients reach the daemon, a second daemon on the path is refused', { timeout: GUARD_MS }, async () => {
  const socket = path.join(tempDir(), 'd.sock');
  const d = await started(['sim', '--socket', socket]);
  try {
    rmSync(socket);
    await d.waitLog((l) => l.event === 'socket-recreated');
    assert.equal(await statusPid(socket), d.pid);
    assert.equal(statSync(socket).mode & 0o777, 0o600, 'private as at start');
    const second = new DaemonChild(['sim', '--socket', socket]);
    const e = await second.exited;
    assert.equal(e.code, 3, second.stderr);
    assert.match(second.stderr, /another daemon is running or starting on/);
    assert.equal(await statusPid(socket), d.pid);
  } finally {
    await stopped(d);
  }
  assert.equal(existsSync(socket), false, 'its own socket removed at stop');
});

test('socket and its lock file removed while the daemon runs: both taken again; a second daemon started then is refused', { skip: needsAddon, timeout: GUARD_MS }, async () => {
  const socket = path.join(tempDir(), 'd.sock');
  const d = await started(['sim', '--socket', socket]);
  try {
    rmSync(`${socket}.lock`);
    rmSync(socket);
    await d.waitLog((l) => l.event === 'socket-lock-recreated');
    await d.waitLog((l) => l.event === 'socket-recreated');
    assert.ok(existsSync(`${socket}.lock`));
    const second = new DaemonChild(['sim', '--socket', socket]);
    assert.equal((await second.exited).code, 3, second.stderr);
    assert.match(second.stderr, /another daemon is running or starting on/);
    assert.equal(await statusPid(socket), d.pid);
  } finally {
    await stopped(d);
  }
});

test('socket replaced by a regular file: logged with its fix, left alone by the stop; removed, the daemon publishes its socket again', { timeout: GUARD_MS }, async () => {
  const socket = path.join(tempDir(), 'd.sock');
  const d = await started(['sim', '--socket', socket]);
  try {
    rmSync(socket);
    writeFileSync(`${socket}.new`, 'precious\n');
    renameSync(`${socket}.new`, socket);
    const problem = await d.waitLog((l) => l.event === 'socket-path-problem');
    assert.match(String(problem.error), /was replaced by another file while the daemon ran: clients reach that, not this daemon/);
    assert.match(String(problem.fix), new RegExp(`^ls -l ${socket}; if nothing should answer there: rm ${socket} `));
    rmSync(socket);
    await d.waitLog((l) => l.event === 'socket-recreated');
    assert.equal(await statusPid(socket), d.pid);
    rmSync(socket);
    writeFileSync(`${socket}.new`, 'precious\n');
    renameSync(`${socket}.new`, socket);
    await d.waitLog((l) => l.event === 'socket-path-problem' && l !== problem);
  } finally {
    await stopped(d);
  }
  assert.equal(readFileSync(socket, 'utf8'), 'precious\n', 'the stop did not unlink a file that is not its socket');
});

test("another program's socket put at the path: the daemon's stop leaves it serving", { timeout: GUARD_MS }, async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const other = net.createServer((c) => c.end('other\n'));
  await new Promise<void>((r) => other.listen(path.join(dir, 'other.sock'), r));
  const d = await started(['sim', '--socket', socket]);
  try {
    renameSync(path.join(dir, 'other.sock'), socket);
    await d.waitLog((l) => l.event === 'socket-path-problem');
  } finally {
    await stopped(d);
  }
  assert.ok(statSync(socket).isSocket(), 'still there');
  const reply = await new Promise<string>((resolve, reject) => {
    let got = '';
    const c = net.createConnection(socket);
    c.on('data', (b) => (got += b.toString()));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
  assert.equal(reply, 'other\n');
  await new Promise<void>((r) => other.close(() => r()));
});

test('clients gone while the daemon is stopped (SIGSTOP): a complete request is still carried out, audited and saved; a partial line is dropped; the daemon serves on after SIGCONT', { timeout: GUARD_MS }, async () => {
  const root = tempDir();
  const socket = path.join(root, 'd.sock');
  const stateDir = path.join(root, 'state');
  const d = await started(['sim', '--socket', socket, '--state-dir', stateDir]);
  try {
    await d.waitLog((l) => l.event === 'ready');
    d.kill('SIGSTOP');
    const send = async (line: string): Promise<void> => {
      const c = net.createConnection(socket);
      await new Promise<void>((r, j) => c.once('connect', r).once('error', j));
      await new Promise<void>((r) => c.end(line, r));
      c.destroy();
    };
    await send('{"id":1,"op":"set-mac","vf":"sim","mac":"02:00:00:00:00:07"}\n');
    await send('{"id":2,"op":"set-mac","vf":"sim","mac":"02:00:00:00:00:08"');
    d.kill('SIGCONT');
    const audit = await d.waitLog((l) => l.event === 'audit' && l.op === 'set-mac');
    assert.equal(audit.mac, '02:00:00:00:00:07');
    assert.equal(audit.persisted, true);
    assert.equal(await statusPid(socket), d.pid);
    assert.equal(d.logs.filter((l) => l.event === 'audit' && l.op === 'set-mac').length, 1, 'the partial line ran nothing');
    assert.equal((JSON.parse(readFileSync(path.join(stateDir, 'sim.json'), 'utf8')) as { desired: { mac: string } }).desired.mac, '02:00:00:00:00:07');
  } finally {
    d.kill('SIGCONT');
    await stopped(d);
  }
});
