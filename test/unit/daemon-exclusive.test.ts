/**
 * One daemon per socket path and per state directory, with real daemon processes: two started at the same
 * moment on one (stale) socket path never both stay up and the loser says why (ERR_DAEMON_RUNNING, exit
 * 3, never "internal error"); a second daemon on a busy state directory is refused before it reads or
 * cleans anything there (ERR_STATE_DIR_BUSY); kill -9 of the holder frees both for the next start.
 */
import assert from 'node:assert/strict';
import { writeFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { RawConn, tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';
import { nativePeerCredentials } from '../helpers/cli-daemon.js';

const needsAddon = nativePeerCredentials ? false : 'needs the native addon (flock)';

/** Resolves with 'started' once the daemon logs it, or with its exit when it exits first. */
async function outcome(d: DaemonChild): Promise<'started' | { code: number | null; stderr: string }> {
  const started = d.waitLog((l) => l.event === 'started').then(() => 'started' as const, () => null);
  const exited = d.exited.then((e) => ({ code: e.code, stderr: d.stderr }));
  const first = await Promise.race([started, exited]);
  return first ?? (await exited);
}

/** Leaves a socket file nothing listens on, as a killed daemon does. */
async function staleSocket(file: string): Promise<void> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(file, r));
  await new Promise<void>((r) => {
    (srv as unknown as { _handle: { close(): void } | null })._handle?.close();
    srv.close(() => r());
  });
}

test('two daemons started at once on one stale socket path: exactly one serves it, the other exits 3 with ERR_DAEMON_RUNNING', { skip: needsAddon }, async () => {
  for (let round = 0; round < 4; round++) {
    const dir = tempDir();
    const socket = path.join(dir, 'd.sock');
    await staleSocket(socket);
    const a = new DaemonChild(['sim', '--socket', socket]);
    const b = new DaemonChild(['sim', '--socket', socket]);
    try {
      const [ra, rb] = await Promise.all([outcome(a), outcome(b)]);
      const up = [ra, rb].filter((r) => r === 'started');
      const down = [ra, rb].filter((r) => r !== 'started') as { code: number | null; stderr: string }[];
      assert.equal(up.length, 1, `round ${round}: one daemon up (${JSON.stringify([ra, rb])})`);
      assert.equal(down[0]!.code, 3, down[0]!.stderr);
      assert.match(down[0]!.stderr, /another daemon is running or starting on/);
      assert.doesNotMatch(down[0]!.stderr, /ERR_INTERNAL|a bug/);
      // The survivor answers on the path.
      const conn = await RawConn.open(socket);
      const r = await conn.request<{ ok: boolean; result: { pid: number } }>({ id: 1, op: 'status' });
      conn.close();
      assert.equal(r.ok, true);
      assert.equal(r.result.pid, (ra === 'started' ? a : b).pid);
    } finally {
      for (const d of [a, b]) if (d.alive) d.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
    }
  }
});

test('a second daemon on a state directory in use is refused before it touches it (ERR_STATE_DIR_BUSY); kill -9 of the first frees it', { skip: needsAddon }, async () => {
  const dir = tempDir();
  const stateDir = path.join(dir, 'state');
  const first = new DaemonChild(['sim', '--socket', path.join(dir, 'a.sock'), '--state-dir', stateDir]);
  try {
    assert.equal(await outcome(first), 'started');
    // A temp file as a save in flight leaves it: the second daemon's cleanup must not remove it.
    const inFlight = `.sim.json.tmp-${first.pid}-1-ab12cd34ef56`;
    writeFileSync(path.join(stateDir, inFlight), '{}', { mode: 0o600 });
    const second = new DaemonChild(['sim', '--socket', path.join(dir, 'b.sock'), '--state-dir', stateDir]);
    const r = await outcome(second);
    assert.notEqual(r, 'started');
    const { code, stderr } = r as { code: number | null; stderr: string };
    assert.equal(code, 3, stderr);
    assert.match(stderr, /another daemon uses the state directory/);
    assert.ok(readdirSync(stateDir).includes(inFlight), 'the running daemon\'s temp file was left alone');
    first.kill('SIGKILL');
    await first.exited;
    const third = new DaemonChild(['sim', '--socket', path.join(dir, 'c.sock'), '--state-dir', stateDir]);
    try {
      assert.equal(await outcome(third), 'started', third.stderr);
    } finally {
      third.kill('SIGTERM');
      await third.exited;
    }
  } finally {
    if (first.alive) first.kill('SIGKILL');
    await first.exited;
  }
});

test('a clean stop answers the requests it was running before it closes their connections (the reply the audit log records reaches the client)', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const d = new DaemonChild(['sim:pf=down', '--socket', socket]);
  try {
    assert.equal(await outcome(d), 'started');
    const conn = await RawConn.open(socket);
    conn.send({ id: 41, op: 'set-mac', vf: 'sim:pf=down', mac: '02:00:00:00:00:41' });
    // The request waits for the VF (its PF is down) when the daemon is told to stop.
    await new Promise((r) => setTimeout(r, 300));
    d.kill('SIGTERM');
    await conn.closed;
    const reply = conn.lines.find((l) => (l as { id?: unknown }).id === 41) as { ok: boolean; error?: { code: string } } | undefined;
    assert.ok(reply !== undefined, `the waiting request got its reply before the close: ${JSON.stringify(conn.lines)}`);
    assert.equal(reply.ok, false);
    const audit = d.logs.find((l) => l.event === 'audit');
    if (audit !== undefined) assert.equal(audit.code, reply.error?.code, 'the client saw what the audit log says it was told');
  } finally {
    if (d.alive) d.kill('SIGKILL');
    await d.exited;
  }
});
