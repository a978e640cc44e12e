/**
 * The client side of the control socket (issue 12 point 5, issue 11 point 7): a socket the user names must
 * answer (exit 3 otherwise, never a silent one-shot change); the default socket may fall back and says so;
 * a daemon that refuses and closes is reported with its reason (exit 3) whatever the order of events, and
 * EPIPE / ECONNRESET is an environment error, never "internal error … bug".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fakeDaemon as lineDaemon, type FakeDaemon } from '../helpers/fake-daemon.js';
import { runCli } from '../helpers/cli-run.js';
import { spawnCli } from '../helpers/cli-proc.js';
import { DaemonClient } from '../../src/cli/client.js';
import { EnvironmentError } from '../../src/errors.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ixgbevf-sock-'));
let n = 0;
const sockPath = (): string => path.join(dir, `s${n++}.sock`);

test('--socket naming a missing socket: exit 3 with code, message and hint; nothing changed', async () => {
  const missing = path.join(dir, 'missing.sock');
  const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--socket', missing]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /ixgbevf: error: no daemon answers at .*missing\.sock \(no such socket\)/);
  assert.match(r.stderr, /fix: start one: ixgbevf daemon sim --socket /);
  assert.doesNotMatch(r.stdout, /MAC set/);
  const j = await runCli(['info', 'sim', '--socket', missing, '--json']);
  assert.equal(j.code, 3);
  const err = (JSON.parse(j.stdout) as { error: { code: string; hint: string; exitCode: number } }).error;
  assert.equal(err.code, 'ERR_DAEMON_UNREACHABLE');
  assert.match(err.hint, /ixgbevf daemon/);
  const list = await runCli(['list', '--socket', missing], { sysfs: { sysRoot: dir } });
  assert.equal(list.code, 3, list.stdout + list.stderr);
  // The fix names the VF the command was for, and pastes into a shell: no <vf> placeholder (a shell reads
  // `<vf> --socket` as two redirections). A command for no VF (list) gets the list of VFs first.
  for (const out of [r.stderr, j.stdout, list.stderr]) assert.doesNotMatch(out, /<vf>/);
  assert.match(err.hint, /^start one: ixgbevf daemon sim --socket /);
  assert.match(list.stderr, /fix: ixgbevf list {3}\(the VFs of this host; then start a daemon for one: ixgbevf daemon VF --socket /);
});

test('--socket naming a stale socket (a file nothing listens on): exit 3', async () => {
  const stale = sockPath();
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(stale, r));
  // Leave the socket file behind, as a killed daemon does.
  await new Promise<void>((r) => {
    (srv as unknown as { _handle: { close(): void } | null })._handle?.close();
    srv.close(() => r());
  });
  const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--socket', stale]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /no daemon answers at .* \((a stale socket: nothing listens on it|no such socket)\)/);
  const notSocket = path.join(dir, 'plain-file');
  writeFileSync(notSocket, '');
  assert.equal((await runCli(['info', 'sim', '--socket', notSocket])).code, 3);
});

test('the default socket may fall back to a one-shot change, and says so on stderr', async () => {
  const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no daemon at \/nonexistent\/ixgbevf-test\.sock owns sim: changed it directly \(one-shot\)/);
});

type Behaviour = 'reason-now' | 'reason-after-request' | 'close-now' | 'close-after-request' | 'reason-late-close';

function fakeDaemon(behaviour: Behaviour): Promise<{ path: string; close(): Promise<void> }> {
  const file = sockPath();
  const reason = `${JSON.stringify({ id: null, ok: false, error: { code: 'ERR_TOO_MANY_CONNECTIONS', message: 'the daemon already serves 64 connections', hint: 'close idle ixgbevf watch sessions', exitCode: 3 } })}\n`;
  const conns = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    conns.add(s);
    s.on('error', () => undefined);
    if (behaviour === 'reason-now') s.end(reason, () => s.destroy());
    else if (behaviour === 'close-now') s.destroy();
    else if (behaviour === 'reason-late-close') s.write(reason);
    else
      s.once('data', () => {
        if (behaviour === 'reason-after-request') s.end(reason, () => s.destroy());
        else s.destroy();
      });
  });
  return new Promise((resolve) =>
    srv.listen(file, () =>
      resolve({
        path: file,
        close: () =>
          new Promise<void>((r) => {
            for (const c of conns) c.destroy();
            srv.close(() => r());
          }),
      }),
    ),
  );
}

for (const behaviour of ['reason-now', 'reason-after-request', 'reason-late-close'] as const) {
  test(`a daemon that refuses (${behaviour}): its reason, exit 3, every time`, async () => {
    const d = await fakeDaemon(behaviour);
    try {
      for (let i = 0; i < 15; i++) {
        const env = { PATH: process.env.PATH, IXGBEVF_SOCKET: d.path };
        const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01'], { env });
        assert.equal(r.code, 3, `round ${i}: ${r.stderr}`);
        assert.match(r.stderr, /ixgbevf: error: the daemon already serves 64 connections/);
        assert.match(r.stderr, /fix: close idle ixgbevf watch sessions/);
        assert.doesNotMatch(r.stderr, /bug|internal error/);
        const j = await runCli(['info', 'sim', '--json', '--socket', d.path]);
        assert.equal(j.code, 3);
        assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'ERR_TOO_MANY_CONNECTIONS');
      }
    } finally {
      await d.close();
    }
  });
}

for (const behaviour of ['close-now', 'close-after-request'] as const) {
  test(`a daemon that closes without a reason (${behaviour}): exit 3, environment error, never a bug`, async () => {
    const d = await fakeDaemon(behaviour);
    try {
      for (let i = 0; i < 15; i++) {
        const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--socket', d.path]);
        assert.equal(r.code, 3, `round ${i}: ${r.stderr}`);
        assert.match(r.stderr, /closed the connection without answering/);
        assert.doesNotMatch(r.stderr, /bug|internal error/);
      }
    } finally {
      await d.close();
    }
  });
}

test('DaemonClient reads replies split anywhere: a character cut between two reads, several replies in one read, one reply larger than its read buffer', async () => {
  const { DaemonClient } = await import('../../src/cli/client.js');
  const file = sockPath();
  const big = 'é—'.repeat(40_000); // 200,000 bytes of UTF-8: more than one read
  const srv = net.createServer((c) => {
    let buf = '';
    c.setEncoding('utf8');
    c.on('data', async (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const req = JSON.parse(buf.slice(0, nl)) as { id: number; op: string };
        buf = buf.slice(nl + 1);
        if (req.op === 'split') {
          // "ü" is 0xc3 0xbc: the first write ends between its two bytes.
          const bytes = Buffer.from(`${JSON.stringify({ id: req.id, ok: true, result: 'grüße' })}\n`);
          const cut = bytes.indexOf(0xc3) + 1;
          c.write(bytes.subarray(0, cut));
          await new Promise((r) => setTimeout(r, 20));
          c.write(bytes.subarray(cut));
        } else if (req.op === 'two') {
          c.write(`${JSON.stringify({ id: req.id, ok: true, result: 'first' })}\n${JSON.stringify({ id: 999, ok: true, result: 'nobody asked' })}\n`);
        } else {
          c.write(`${JSON.stringify({ id: req.id, ok: true, result: big })}\n`);
        }
      }
    });
  });
  await new Promise<void>((r) => srv.listen(file, r));
  try {
    const client = (await DaemonClient.connect(file, { explicit: true }))!;
    try {
      assert.equal(await client.request('split'), 'grüße');
      assert.equal(await client.request('two'), 'first');
      assert.equal(await client.request('big'), big);
      assert.equal(await client.request('split'), 'grüße', 'still in step after all that');
    } finally {
      client.close();
    }
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
});

/** A fake daemon: accepts, reads request lines, and answers each with `answer(id)` (undefined: stays silent). */
function scriptedDaemon(answer: (id: unknown) => string | undefined): Promise<FakeDaemon> {
  return lineDaemon((req, send) => {
    const reply = answer(req.id);
    if (reply !== undefined) send(reply);
  });
}

test('a daemon that takes the connection and never answers: the request ends in ERR_DAEMON_TIMEOUT (exit 3), the connection closed', async () => {
  const silent = await scriptedDaemon(() => undefined);
  try {
    const client = (await DaemonClient.connect(silent.path, { explicit: true, replyTimeoutMs: 150 }))!;
    const err = await client.request('status').catch((e: unknown) => e);
    assert.ok(err instanceof EnvironmentError, String(err));
    assert.equal(err.code, 'ERR_DAEMON_TIMEOUT');
    assert.equal(err.exitCode, 3);
    await client.closed();
    const after = await client.request('status').catch((e: unknown) => e);
    assert.equal((after as EnvironmentError).code, 'ERR_DAEMON_TIMEOUT', 'later requests fail with the same reason');
  } finally {
    await silent.close();
  }
});

test('the real CLI waiting on a silent daemon: one SIGINT ends it at once with ERR_INTERRUPTED (exit 3, JSON on stdout)', async () => {
  const silent = await scriptedDaemon(() => undefined);
  const p = spawnCli(['info', 'sim', '--socket', silent.path, '--json']);
  try {
    for (let i = 0; i < 200 && silent.requests === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(silent.requests > 0, 'the CLI sent its request');
    p.child.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 3, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_INTERRUPTED');
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await silent.close();
  }
});

for (const [name, reply] of [
  ['ok without a result', (id: unknown) => JSON.stringify({ id, ok: true })],
  ['a result without the VF list', (id: unknown) => JSON.stringify({ id, ok: true, result: {} })],
  ['neither ok nor an error', (id: unknown) => JSON.stringify({ id, ok: false })],
] as const) {
  test(`a reply this CLI cannot read (${name}) is an environment error (exit 3), never "internal error … bug"`, async () => {
    const odd = await scriptedDaemon(reply);
    try {
      for (const args of [['info', 'sim'], ['set-mac', 'sim', '02:00:00:00:00:01'], ['list'], ['sim', 'show']]) {
        const r = await runCli([...args, '--socket', odd.path, '--json'], { sysfs: { sysRoot: dir } });
        assert.equal(r.code, 3, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        const code = (JSON.parse(r.stdout) as { error: { code: string } }).error.code;
        assert.ok(code === 'ERR_DAEMON_REPLY' || code === 'ERR_DAEMON', `${args.join(' ')}: ${code}`);
        assert.doesNotMatch(r.stdout + r.stderr, /ERR_INTERNAL|a bug/);
      }
    } finally {
      await odd.close();
    }
  });
}

test('smoke with a --socket that does not answer: exit 3 (a named socket must answer), also for sim', async () => {
  const missing = path.join(dir, 'smoke-missing.sock');
  const r = await runCli(['smoke', 'sim', '--socket', missing, '--json']);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_DAEMON_UNREACHABLE');
});

test('--socket naming a regular file or a directory says it is not a socket; an empty --socket is bad input; an empty $IXGBEVF_SOCKET is unset', async () => {
  const file = path.join(dir, 'not-a-socket');
  writeFileSync(file, '');
  const f = await runCli(['info', 'sim', '--socket', file]);
  assert.equal(f.code, 3, f.stderr);
  assert.match(f.stderr, /it is not a socket but a regular file/);
  const d = await runCli(['info', 'sim', '--socket', dir]);
  assert.equal(d.code, 3, d.stderr);
  assert.match(d.stderr, /it is not a socket but a directory/);
  const empty = await runCli(['info', 'sim', '--socket', '', '--json']);
  assert.equal(empty.code, 2, empty.stderr);
  assert.equal((JSON.parse(empty.stdout) as { error: { code: string } }).error.code, 'ERR_INVALID_ARGUMENT');
  // IXGBEVF_SOCKET= means unset: the default socket (here a missing one: the change goes direct, and says which socket it looked at).
  const unset = await runCli(['set-mac', 'sim', '02:00:00:00:00:01'], { env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '' } });
  assert.equal(unset.code, 0, unset.stderr);
  assert.match(unset.stderr, /no daemon at \/run\/ixgbevf\/ixgbevf\.sock owns sim/);
});

test('--socket naming a daemon that released the VF (the kernel took it back): exit 3 ERR_NOT_OWNED saying so, with its reason and a fix that parses; never "does not own X (it owns X)"', async () => {
  const vf = '0000:03:10.0';
  const status = {
    vfs: [
      { id: vf, state: 'released', releaseReason: 'the kernel asked for the device back (unbind or sriov_numvfs change)\u001b[31m' },
      { id: '0000:03:10.2', state: 'ready' },
    ],
  };
  const d = await scriptedDaemon((id) => JSON.stringify({ id, ok: true, result: status }));
  try {
    for (const args of [['info', vf], ['set-mac', vf, '02:00:00:00:00:01']]) {
      const r = await runCli([...args, '--socket', d.path]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, new RegExp(`ixgbevf: error: the daemon at .* released ${vf} \\(the kernel asked for the device back \\(unbind or sriov_numvfs change\\) \\[31m\\) and no longer drives it`));
      assert.doesNotMatch(r.stderr, /\u001b/, 'no control character from the daemon reaches the terminal');
      assert.doesNotMatch(r.stderr, /it owns/);
      const fix = /fix: (ixgbevf doctor \S+)/.exec(r.stderr);
      assert.ok(fix !== null, r.stderr);
      const parsed = await runCli(fix[1]!.split(' ').slice(1), { parseOnly: true });
      assert.equal(parsed.code, 0, `${fix[1]} parses: ${parsed.stderr}`);
      const j = await runCli([...args, '--socket', d.path, '--json']);
      const doc = JSON.parse(j.stdout) as { error: { code: string; exitCode: number } };
      assert.equal(doc.error.code, 'ERR_NOT_OWNED');
      assert.equal(doc.error.exitCode, 3);
    }
    // A VF the daemon never had: the list names only what it drives.
    const other = await runCli(['info', '0000:03:10.4', '--socket', d.path]);
    assert.equal(other.code, 3);
    assert.match(other.stderr, /does not own 0000:03:10\.4 \(it owns 0000:03:10\.2\)/);
  } finally {
    await d.close();
  }
});

test('an empty --socket: exit 2, and the fix is the same command with the default socket named, which parses; a fix for another bad value makes the empty --socket valid too', async () => {
  const empty = await runCli(['info', 'sim', '--socket', '', '--json']);
  assert.equal(empty.code, 2, empty.stderr);
  const err = (JSON.parse(empty.stdout) as { error: { code: string; hint: string } }).error;
  assert.equal(err.code, 'ERR_INVALID_ARGUMENT');
  assert.equal(err.hint, 'ixgbevf info sim --socket /run/ixgbevf/ixgbevf.sock --json', 'was ixgbevf list --socket …, whatever the command');
  const joined = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--socket=']);
  assert.equal(joined.code, 2);
  assert.match(joined.stderr, /\(try: ixgbevf set-mac sim 02:00:00:00:00:01 --socket=\/run\/ixgbevf\/ixgbevf\.sock\)/);
  const badMtu = await runCli(['mtu', 'sim', '0', '--socket', '']);
  assert.equal(badMtu.code, 2);
  assert.match(badMtu.stderr, /\(try: ixgbevf mtu sim 1500 --socket \/run\/ixgbevf\/ixgbevf\.sock\)/);
  for (const fix of [err.hint, 'ixgbevf mtu sim 1500 --socket /run/ixgbevf/ixgbevf.sock']) {
    const parsed = await runCli(fix.split(' ').slice(1), { parseOnly: true });
    assert.equal(parsed.code, 0, `${fix} parses: ${parsed.stderr}`);
  }
});
