/**
 * A `--metrics /path` Unix socket changing under a running daemon (the real binary in a child process):
 * removed (a cleanup of /run), replaced by a regular file, or by another daemon's live metrics socket.
 * The daemon's stop never unlinks what is not its own metrics socket (libuv unlinks the path a server
 * listened on at close, whatever is there by then), and a removed metrics socket is published again
 * (metrics-socket-recreated), with its --group access, so scrapes reach the daemon; a file put in its place
 * is logged with its fix.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';

/** A hang (an event never logged) fails its test instead of the run; not a timing check. */
const GUARD_MS = 60_000;

async function started(args: string[]): Promise<DaemonChild> {
  const d = new DaemonChild(args);
  await d.waitLog((l) => l.event === 'started');
  return d;
}

async function stopped(d: DaemonChild): Promise<void> {
  if (d.alive) d.kill('SIGTERM');
  const e = await d.exited;
  assert.equal(e.code, 0, d.stderr);
}

/**
 * GET /metrics on the Unix socket, on a new connection (`agent: false`: a kept-alive one from an earlier
 * scrape may reach a server the daemon replaced, which closes its idle connections): the status and body.
 */
function scrape(socketPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: '/metrics', method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('metrics socket replaced by a regular file: the stop leaves the file (it unlinked whatever was at the path)', { timeout: GUARD_MS }, async () => {
  const dir = tempDir();
  const metrics = path.join(dir, 'm.sock');
  const d = await started(['sim', '--socket', path.join(dir, 'd.sock'), '--metrics', metrics]);
  try {
    // rename(2) replaces the socket at once: no moment without a file there (the daemon would publish again).
    writeFileSync(`${metrics}.new`, 'precious\n');
    renameSync(`${metrics}.new`, metrics);
    const problem = await d.waitLog((l) => l.event === 'metrics-path-problem');
    assert.match(String(problem.error), /was replaced by another file while the daemon ran: scrapes reach that, not this daemon/);
    assert.match(String(problem.fix), new RegExp(`^ls -l ${metrics}; if nothing should answer there: rm ${metrics} `));
  } finally {
    await stopped(d);
  }
  assert.equal(readFileSync(metrics, 'utf8'), 'precious\n', 'the stop did not unlink a file that is not its socket');
});

test("metrics socket removed, then a second daemon serves metrics at the path: the first one's stop leaves the second's socket serving", { timeout: GUARD_MS }, async () => {
  const dir = tempDir();
  const metrics = path.join(dir, 'm.sock');
  const first = await started(['sim', '--socket', path.join(dir, 'a.sock'), '--metrics', metrics]);
  let second: DaemonChild | null = null;
  try {
    // The first daemon is stopped (SIGSTOP) so it cannot publish its socket again before the second starts.
    first.kill('SIGSTOP');
    rmSync(metrics);
    second = await started(['sim', '--socket', path.join(dir, 'b.sock'), '--metrics', metrics]);
    first.kill('SIGCONT');
    await first.waitLog((l) => l.event === 'metrics-path-problem');
    await stopped(first);
    assert.ok(statSync(metrics).isSocket(), "the second daemon's socket is still there");
    assert.equal((await scrape(metrics)).status, 200);
  } finally {
    if (first.alive) {
      first.kill('SIGCONT');
      await stopped(first);
    }
    if (second !== null) await stopped(second);
  }
  assert.equal(existsSync(metrics), false, 'the second daemon removed its own socket at its stop');
});

test('metrics socket removed while the daemon runs: published again (metrics-socket-recreated), private as at start, scrapes reach the daemon; its stop removes it', { timeout: GUARD_MS }, async () => {
  const dir = tempDir();
  const metrics = path.join(dir, 'm.sock');
  const d = await started(['sim', '--socket', path.join(dir, 'd.sock'), '--metrics', metrics]);
  try {
    rmSync(metrics);
    await d.waitLog((l) => l.event === 'metrics-socket-recreated');
    assert.equal(statSync(metrics).mode & 0o777, 0o600, 'private as at start');
    const r = await scrape(metrics);
    assert.equal(r.status, 200);
    assert.match(r.body, /^ixgbevf_vf_applied\{vf="sim"\} /m);
    // A file put there later is still logged, and removing it lets the daemon publish again.
    writeFileSync(`${metrics}.new`, 'x\n');
    renameSync(`${metrics}.new`, metrics);
    await d.waitLog((l) => l.event === 'metrics-path-problem');
    const recreated = d.logs.filter((l) => l.event === 'metrics-socket-recreated');
    assert.equal(recreated.length, 1);
    rmSync(metrics);
    await d.waitLog((l) => l.event === 'metrics-socket-recreated' && l !== recreated[0]);
    assert.equal((await scrape(metrics)).status, 200);
  } finally {
    await stopped(d);
  }
  assert.equal(existsSync(metrics), false, 'its own socket removed at stop');
});

test('with --group the metrics socket published again keeps its group access (0660 and the gid)', { timeout: GUARD_MS }, async () => {
  const dir = tempDir();
  const metrics = path.join(dir, 'm.sock');
  const gid = process.getgid!();
  const d = await started(['sim', '--socket', path.join(dir, 'd.sock'), '--metrics', metrics, '--group', String(gid)]);
  try {
    assert.equal(statSync(metrics).mode & 0o777, 0o660);
    rmSync(metrics);
    await d.waitLog((l) => l.event === 'metrics-socket-recreated');
    const st = statSync(metrics);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, gid);
    assert.equal((await scrape(metrics)).status, 200);
  } finally {
    await stopped(d);
  }
});
