/**
 * The daemon's sockets (control, `--metrics` path) are published only in a directory no other user may
 * write in (the StrictModes rule of the state directory, src/daemon/trusted-path.ts; a root-owned sticky
 * directory such as /tmp allowed): otherwise another user could put a listener of theirs in the socket's
 * place, which the clients would then talk to, or aim the lock and the stale-socket removal elsewhere.
 * On the real binary: exit 3, ERR_SOCKET_DIR_UNSAFE's cause and its fix, nothing left at the path.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lchownSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/cli-daemon.js';

const isRoot = process.getuid?.() === 0;
const OTHER_UID = 65534;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Starts the real daemon on the simulated VF with `args`, ended at once when it starts (it should not). */
function daemon(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'daemon', 'sim', ...args], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGTERM' });
  return { status: r.status, stderr: r.stderr };
}

test('a control socket in a directory anyone may write in (not sticky): refused, exit 3, with the chmod fix; nothing created there', { skip: isRoot ? false : 'the tree must be root-owned' }, () => {
  const open = path.join(tempDir(), 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const socket = path.join(open, 'd.sock');
  const r = daemon(['--socket', socket]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`^ixgbevf: error: refusing the control socket ${esc(socket)}: ${esc(open)} is writable by every user \\(mode 0777\\)$`, 'm'));
  assert.match(r.stderr, new RegExp(`^ {2}fix: chmod go-w ${esc(open)}$`, 'm'));
  assert.ok(!existsSync(socket) && !existsSync(`${socket}.lock`), 'no socket, no lock file');
});

test('a control socket whose directory does not exist yet, below such a directory: refused before anything is created there', { skip: isRoot ? false : 'the tree must be root-owned' }, () => {
  const open = path.join(tempDir(), 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const socket = path.join(open, 'run', 'ixgbevf', 'd.sock');
  const r = daemon(['--socket', socket]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`^ixgbevf: error: refusing the control socket ${esc(socket)}: ${esc(open)} is writable by every user \\(mode 0777\\)$`, 'm'));
  assert.ok(!existsSync(path.join(open, 'run')), 'no directory made inside the refused tree');
});

test('a --metrics socket in such a directory: refused the same way, exit 3', { skip: isRoot ? false : 'the tree must be root-owned' }, () => {
  const base = tempDir();
  const open = path.join(base, 'open');
  mkdirSync(open);
  chmodSync(open, 0o775);
  const metrics = path.join(open, 'm.sock');
  const r = daemon(['--socket', path.join(base, 'd.sock'), '--metrics', metrics]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`^ixgbevf: error: refusing the metrics socket ${esc(metrics)}: ${esc(open)} is writable by its group \\(mode 0775\\)$`, 'm'));
  assert.ok(!existsSync(metrics));
});

test("a socket reached through another user's symlink: refused (exit 3); through root's own link it is served", { skip: isRoot ? false : 'needs root to lchown' }, () => {
  const base = tempDir();
  const sticky = path.join(base, 'tmp');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777); // as /tmp
  const real = path.join(base, 'real');
  mkdirSync(real);
  const planted = path.join(sticky, 'sockets');
  symlinkSync(real, planted);
  lchownSync(planted, OTHER_UID, OTHER_UID);
  const r = daemon(['--socket', path.join(planted, 'd.sock')]);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /refusing the control socket .*: .*sockets is a symlink owned by uid 65534/);
  assert.ok(!existsSync(path.join(real, 'd.sock')));
});

test('a root-owned sticky directory (as /tmp) is fine: the daemon serves there', { skip: isRoot ? false : 'the tree must be root-owned' }, async () => {
  const sticky = path.join(tempDir(), 'tmp');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const socket = path.join(sticky, 'd.sock');
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'daemon', 'sim', '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; i < 400 && !/ ready /.test(stderr) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
  assert.match(stderr, / ready /, stderr);
  assert.ok(existsSync(socket));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});
