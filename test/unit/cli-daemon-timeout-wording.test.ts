/**
 * What the CLI says when the daemon does not answer. A state-changing request (set-mac, mtu, vlan,
 * multicast, xcast, sim) that times out was sent, and a stopped daemon carries it out when it resumes: the
 * error says so and its fix is to look before repeating (`ixgbevf info <vf>`, `--socket` kept only when
 * named); read-only requests keep their wording. A socket that does not answer while a daemon holds
 * `<socket>.lock` (its socket removed, or a file put in its place) names that daemon and the fix for the
 * path, not "start one" (which the lock refuses). The real binary in child processes, and a daemon that
 * stops itself (SIGSTOP) with the request unread (test/helpers/stop-on-op.mjs).
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DaemonClient } from '../../src/cli/client.js';
import { run } from '../../src/cli/program.js';
import { EnvironmentError } from '../../src/errors.js';
import { nativePeerCredentials, tempDir } from '../helpers/cli-daemon.js';
import { spawnCli, type ProcResult } from '../helpers/cli-proc.js';
import { DaemonChild } from '../helpers/daemon-child.js';

/** A hang fails its test instead of the run; not a timing check (the CLI's own bound is 30 s). */
const GUARD_MS = 120_000;
const needsAddon = nativePeerCredentials ? false : 'needs the native addon (flock)';
const stopOnOp = fileURLToPath(new URL('../helpers/stop-on-op.mjs', import.meta.url));

const SENT = 'the request was sent, and the daemon may still carry it out when it resumes';

/** A server that takes connections and requests and never answers. */
async function silentDaemon(): Promise<{ path: string; close(): Promise<void> }> {
  const file = path.join(tempDir(), 'silent.sock');
  const conns = new Set<net.Socket>();
  const srv = net.createServer((c) => {
    conns.add(c);
    c.on('data', () => undefined);
    c.on('error', () => undefined);
  });
  await new Promise<void>((r) => srv.listen(file, r));
  return {
    path: file,
    close: () =>
      new Promise<void>((r) => {
        for (const c of conns) c.destroy();
        srv.close(() => r());
      }),
  };
}

async function timedOut(socket: string, explicit: boolean, op: string, fields: Record<string, unknown>): Promise<EnvironmentError> {
  const client = (await DaemonClient.connect(socket, { explicit, replyTimeoutMs: 50 }))!;
  const err = await client.request(op, fields).catch((e: unknown) => e);
  assert.ok(err instanceof EnvironmentError, String(err));
  assert.equal(err.code, 'ERR_DAEMON_TIMEOUT');
  assert.equal(err.exitCode, 3);
  return err;
}

/** The `ixgbevf …` command of a fix parses (commander, parse only), as cli-hints.test.ts checks literals. */
async function parses(cmd: string): Promise<void> {
  let stderr = '';
  const code = await run(cmd.replace(/^ixgbevf /, '').split(/\s+/), { stdout: () => undefined, stderr: (s) => void (stderr += s), env: {}, signal: new AbortController().signal, parseOnly: true });
  assert.equal(code, 0, `${cmd}: ${stderr}`);
}

const CHANGES: [string, Record<string, unknown>][] = [
  ['set-mac', { vf: 'sim', mac: '02:00:00:00:00:01' }],
  ['mtu', { vf: 'sim', mtu: 1500 }],
  ['vlan', { vf: 'sim', vlan: 100, action: 'add' }],
  ['multicast', { vf: 'sim', macs: [] }],
  ['xcast', { vf: 'sim', mode: 'multi' }],
  ['sim', { vf: 'sim', action: 'pf-reset' }],
];

test('a state-changing request that times out: sent, may still be carried out; the fix checks with info (--socket kept only when named), and parses', async () => {
  const silent = await silentDaemon();
  try {
    for (const [op, fields] of CHANGES) {
      const named = await timedOut(silent.path, true, op, fields);
      assert.match(named.message, new RegExp(`did not answer ${op} within 0 s: it is stopped or hung; ${SENT}$`));
      assert.equal(named.hint, `check before repeating it: ixgbevf info sim --socket ${silent.path}   (if that times out too: systemctl status ixgbevf)`);
      await parses(`ixgbevf info sim --socket ${silent.path}`);
      const dflt = await timedOut(silent.path, false, op, fields);
      assert.equal(dflt.hint, 'check before repeating it: ixgbevf info sim   (if that times out too: systemctl status ixgbevf)', op);
    }
    // A VF that needs quoting is quoted (the fix is typed into a shell).
    const quoted = await timedOut(silent.path, false, 'mtu', { vf: 'sim:mac=02:00:00:00:00:01 x', mtu: 1500 });
    assert.match(quoted.hint ?? '', /ixgbevf info 'sim:mac=02:00:00:00:00:01 x' /);
  } finally {
    await silent.close();
  }
});

test('a read-only request that times out keeps its wording: nothing was changed, nothing to check', async () => {
  const silent = await silentDaemon();
  try {
    for (const [op, fields] of [['status', {}], ['info', { vf: 'sim' }], ['link', { vf: 'sim' }], ['mailbox', { vf: 'sim' }]] as const) {
      const err = await timedOut(silent.path, true, op, fields);
      assert.match(err.message, new RegExp(`did not answer ${op} within 0 s: it is stopped or hung$`));
      assert.doesNotMatch(err.message, /was sent/);
      assert.equal(err.hint, 'systemctl status ixgbevf (is it stopped with SIGSTOP, or stuck?); journalctl -u ixgbevf');
    }
  } finally {
    await silent.close();
  }
});

function jsonError(r: ProcResult): { code: string; message: string; hint: string } {
  return (JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } }).error;
}

async function started(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DaemonChild> {
  const d = new DaemonChild(args, { preload: [stopOnOp], env });
  await d.waitLog((l) => l.event === 'started');
  return d;
}

test('set-mac sent to a daemon that stops (SIGSTOP) before reading it: ERR_DAEMON_TIMEOUT says it may still be carried out; after SIGCONT the fix shows it was', { timeout: GUARD_MS }, async () => {
  const dir = tempDir();
  const named = path.join(dir, 'named.sock');
  const dflt = path.join(dir, 'default.sock');
  const a = await started(['sim', '--socket', named], { IXGBEVF_TEST_STOP_ON_OP: 'set-mac' });
  const b = await started(['sim', '--socket', dflt], { IXGBEVF_TEST_STOP_ON_OP: 'set-mac' });
  try {
    // Both at once: each waits the CLI's own 30 s bound.
    const [ra, rb] = await Promise.all([
      spawnCli(['set-mac', 'sim', '02:00:00:00:00:0a', '--socket', named, '--json']).done,
      spawnCli(['set-mac', 'sim', '02:00:00:00:00:0b', '--json'], { IXGBEVF_SOCKET: dflt }).done,
    ]);
    for (const [r, hint] of [
      [ra, `check before repeating it: ixgbevf info sim --socket ${named}   (if that times out too: systemctl status ixgbevf)`],
      [rb, 'check before repeating it: ixgbevf info sim   (if that times out too: systemctl status ixgbevf)'],
    ] as const) {
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const e = jsonError(r);
      assert.equal(e.code, 'ERR_DAEMON_TIMEOUT');
      assert.ok(e.message.endsWith(`did not answer set-mac within 30 s: it is stopped or hung; ${SENT}`), e.message);
      assert.equal(e.hint, hint);
    }
    a.kill('SIGCONT');
    b.kill('SIGCONT');
    // The fix, as printed: the daemon did carry the change out.
    const ia = await spawnCli(['info', 'sim', '--socket', named, '--json']).done;
    assert.equal(ia.code, 0, ia.stderr);
    assert.equal((JSON.parse(ia.stdout) as { desired: { mac: string } }).desired.mac, '02:00:00:00:00:0a');
    const ib = await spawnCli(['info', 'sim', '--json'], { IXGBEVF_SOCKET: dflt }).done;
    assert.equal(ib.code, 0, ib.stderr);
    assert.equal((JSON.parse(ib.stdout) as { desired: { mac: string } }).desired.mac, '02:00:00:00:00:0b');
  } finally {
    for (const d of [a, b]) {
      d.kill('SIGCONT');
      d.kill('SIGTERM');
      await d.exited;
    }
  }
});

test('a named socket that does not answer while a daemon holds <socket>.lock: the error names the daemon, and the fix for the path brings it back', { skip: needsAddon, timeout: GUARD_MS }, async () => {
  const socket = path.join(tempDir(), 'd.sock');
  const d = await started(['sim', '--socket', socket]);
  try {
    // Stopped, the daemon cannot publish its socket again meanwhile (it would within moments).
    d.kill('SIGSTOP');
    rmSync(socket);
    const gone = await spawnCli(['info', 'sim', '--socket', socket, '--json']).done;
    assert.equal(gone.code, 3, gone.stderr);
    let e = jsonError(gone);
    assert.equal(e.code, 'ERR_DAEMON_UNREACHABLE');
    assert.equal(e.message, `no daemon answers at ${socket} (no such socket), but a daemon (pid ${d.pid}) holds ${socket}.lock: its socket was removed while it runs`);
    assert.match(e.hint, /^run this again in a moment \(the daemon publishes its socket again when it sees it removed\); if it still fails: systemctl status ixgbevf$/);
    assert.doesNotMatch(e.hint, /start one/);

    writeFileSync(socket, 'precious\n');
    const file = await spawnCli(['info', 'sim', '--socket', socket, '--json']).done;
    assert.equal(file.code, 3, file.stderr);
    e = jsonError(file);
    assert.equal(e.message, `no daemon answers at ${socket} (it is not a socket but a regular file), but a daemon (pid ${d.pid}) holds ${socket}.lock: something else was put in the place of its socket`);
    assert.equal(e.hint, `ls -l ${socket}; if nothing should answer there: rm ${socket} (the daemon then publishes its socket again)`);

    // The fix, as printed: the daemon answers again.
    d.kill('SIGCONT');
    await d.waitLog((l) => l.event === 'socket-path-problem');
    rmSync(socket);
    await d.waitLog((l) => l.event === 'socket-recreated');
    const back = await spawnCli(['info', 'sim', '--socket', socket, '--json']).done;
    assert.equal(back.code, 0, back.stderr);
  } finally {
    d.kill('SIGCONT');
    d.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr);
  }
  // No daemon any more: today's wording, start one.
  const none = await spawnCli(['info', 'sim', '--socket', socket, '--json']).done;
  assert.equal(none.code, 3, none.stderr);
  const e = jsonError(none);
  assert.equal(e.message, `no daemon answers at ${socket} (no such socket)`);
  assert.match(e.hint, /^start one: ixgbevf daemon sim --socket /);
});

test('ixgbevf sim through the default socket while a daemon holds its lock (its socket removed): the daemon is named, not "start one"', { skip: needsAddon, timeout: GUARD_MS }, async () => {
  const socket = path.join(tempDir(), 'd.sock');
  const d = await started(['sim', '--socket', socket]);
  try {
    d.kill('SIGSTOP'); // it would publish its socket again within moments
    rmSync(socket);
    const r = await spawnCli(['sim', 'pf-reset', '--json'], { IXGBEVF_SOCKET: socket }).done;
    assert.equal(r.code, 3, r.stderr);
    const e = jsonError(r);
    assert.equal(e.code, 'ERR_DAEMON_UNREACHABLE', 'was ERR_NO_SIM_DAEMON with "start one", which the lock refuses');
    assert.match(e.message, new RegExp(`a daemon \\(pid ${d.pid}\\) holds `));
    assert.doesNotMatch(e.hint, /start one/);
  } finally {
    d.kill('SIGCONT');
    d.kill('SIGTERM');
    assert.equal((await d.exited).code, 0, d.stderr);
  }
  // No daemon any more: the sim command's own wording.
  const none = await spawnCli(['sim', 'pf-reset', '--json'], { IXGBEVF_SOCKET: socket }).done;
  assert.equal(none.code, 3, none.stderr);
  assert.equal(jsonError(none).code, 'ERR_NO_SIM_DAEMON');
});
