/**
 * The real `ixgbevf` process talking to a socket that is not an ixgbevf daemon (a socket of another program
 * at $IXGBEVF_SOCKET or --socket, a flood): each is ERR_DAEMON_REPLY, exit 3, at once, with the line
 * quoted and escaped; never a TypeError and its stack (a `null` line), never 30 s of waiting called
 * "stopped or hung" (a line that is not JSON), never a buffer that grows without bound (no newline). A
 * socket path longer than a Unix socket address holds is named as such (a daemon listening there read as
 * "stale", and through $IXGBEVF_SOCKET the command silently went direct).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { spawnCliGuarded } from '../helpers/cli-proc.js';
import { runCli } from '../helpers/cli-run.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ixgbevf-hostile-sock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A server that answers the first request line with `reply` (or floods with `flood`) and then stays silent. */
async function server(behaviour: { reply: string } | { flood: true }): Promise<{ path: string; close(): Promise<void> }> {
  const sockPath = path.join(dir, `s${n++}.sock`);
  const conns = new Set<net.Socket>();
  const srv = net.createServer((c) => {
    conns.add(c);
    c.on('error', () => undefined);
    c.on('close', () => conns.delete(c));
    c.once('data', () => {
      if ('reply' in behaviour) {
        c.write(behaviour.reply);
        return;
      }
      const chunk = Buffer.alloc(1 << 20, 'a');
      const pump = (): void => {
        while (!c.destroyed && c.write(chunk));
        if (!c.destroyed) c.once('drain', pump);
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => srv.listen(sockPath, resolve));
  return {
    path: sockPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        srv.close(() => resolve());
      }),
  };
}

const STACK = /\n\s+at |node:internal|Node\.js v\d|TypeError/;

for (const [name, reply, shown] of [
  ['the JSON line null', 'null\n', '"null"'],
  ['a JSON number', '5\n', '"5"'],
  ['a JSON array', '[{"id":1}]\n', '"[{\\"id\\":1}]"'],
  ['an HTTP error (another program\'s socket)', 'HTTP/1.1 400 Bad Request\r\n\r\n', '"HTTP/1.1 400 Bad Request\\r"'],
  ['terminal escapes', '\u001b[31mboo\n', '"\\u001b[31mboo"'],
] as const) {
  test(`a socket that answers ${name}: ERR_DAEMON_REPLY, exit 3, the line quoted, at once (no 30 s timeout, no crash)`, async () => {
    const s = await server({ reply });
    try {
      // The guard (20 s) is below the client's 30 s reply timeout: the old code's wait reads as `hung`.
      const r = await spawnCliGuarded(['info', 'sim', '--socket', s.path, '--json'], {}, 20_000).done;
      assert.equal(r.hung, false, 'answered without waiting for the reply timeout');
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.doesNotMatch(r.stderr, STACK);
      const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      assert.equal(doc.error.code, 'ERR_DAEMON_REPLY');
      assert.ok(doc.error.message.includes(shown), doc.error.message);
      assert.doesNotMatch(doc.error.message, /\u001b/);
    } finally {
      await s.close();
    }
  });
}

test('the default socket ($IXGBEVF_SOCKET) answering null: exit 3 ERR_DAEMON_REPLY in text mode, one line and its fix, no stack trace', async () => {
  const s = await server({ reply: 'null\n' });
  try {
    const r = await spawnCliGuarded(['set-mac', 'sim', '02:00:00:00:00:01'], { IXGBEVF_SOCKET: s.path }, 20_000).done;
    assert.equal(r.hung, false);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ixgbevf: error: the daemon at \S+ sent a reply this command cannot read \(a line that is not a JSON object: "null"\)\n {2}fix: /);
    assert.doesNotMatch(r.stderr, STACK);
  } finally {
    await s.close();
  }
});

test('a socket that floods without a newline: ERR_DAEMON_REPLY (a line too long), exit 3, before the reply timeout', async () => {
  const s = await server({ flood: true });
  try {
    const r = await spawnCliGuarded(['info', 'sim', '--socket', s.path, '--json'], {}, 20_000).done;
    assert.equal(r.hung, false, 'ended by the line bound, not by the guard');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    assert.equal(doc.error.code, 'ERR_DAEMON_REPLY');
    assert.match(doc.error.message, /a line longer than \d+ characters/);
  } finally {
    await s.close();
  }
});

test('a socket path longer than sun_path holds, a server listening there: ERR_SOCKET_PATH_TOO_LONG (--socket: exit 2; $IXGBEVF_SOCKET: exit 3), never "stale" nor a silent one-shot change', async () => {
  const long = path.join(dir, 'd'.repeat(100));
  mkdirSync(long);
  const sock = path.join(long, 'x.sock');
  // Listening through a relative path (cwd = the long directory): the socket file exists at the long path.
  const server = spawn(process.execPath, ['-e', "require('net').createServer(() => {}).listen('x.sock'); setTimeout(() => {}, 60000)"], { cwd: long, stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(existsSync(sock), 'the server listens');
    const named = await spawnCliGuarded(['info', 'sim', '--socket', sock, '--json'], {}, 20_000).done;
    assert.equal(named.code, 2, named.stdout + named.stderr);
    const namedErr = (JSON.parse(named.stdout) as { error: { code: string; message: string; hint: string } }).error;
    assert.equal(namedErr.code, 'ERR_SOCKET_PATH_TOO_LONG');
    assert.match(namedErr.message, /is \d+ bytes; a Unix socket path holds at most 107/);
    assert.equal(namedErr.hint, 'ixgbevf list --socket /run/ixgbevf/ixgbevf.sock');
    const env = await spawnCliGuarded(['set-mac', 'sim', '02:00:00:00:00:01', '--json'], { IXGBEVF_SOCKET: sock }, 20_000).done;
    assert.equal(env.code, 3, env.stdout + env.stderr);
    assert.equal((JSON.parse(env.stdout) as { error: { code: string } }).error.code, 'ERR_SOCKET_PATH_TOO_LONG');
    assert.doesNotMatch(env.stderr, STACK);
  } finally {
    server.kill('SIGKILL');
  }
});

test('the fixes of these errors are commands that parse', async () => {
  for (const fix of ['ixgbevf list --socket /run/ixgbevf/ixgbevf.sock', 'ixgbevf list', 'ixgbevf info sim:pf=silent']) {
    const parsed = await runCli(fix.split(' ').slice(1), { parseOnly: true });
    assert.equal(parsed.code, 0, `${fix} parses: ${parsed.stderr}`);
  }
});

test('a socket path with a newline, an escape or a space: the error stays one line plus its fix, no raw control character, and the fix quotes the path so a shell reads it back', async () => {
  for (const bad of [path.join(dir, 'a\u001b[31mx\ny.sock'), path.join(dir, 'a b.sock')]) {
    const r = await runCli(['info', 'sim', '--socket', bad]);
    assert.equal(r.code, 3, r.stderr);
    const lines = r.stderr.split('\n');
    assert.equal(lines.length, 3, r.stderr); // error line, fix line, the final newline
    assert.match(lines[0]!, /^ixgbevf: error: no daemon answers at /);
    assert.doesNotMatch(r.stderr, /[\u0000-\u0009\u000b-\u001f\u007f]/);
    const word = /--socket (\$'(?:[^'\\]|\\.)*'|'[^']*'|\S+)/.exec(lines[1]!);
    assert.ok(word !== null, lines[1]);
    const back = spawnSync('bash', ['-c', `printf %s ${word[1]!}`], { encoding: 'utf8' });
    assert.equal(back.stdout, bad, `the shell reads ${word[1]} back as the path`);
  }
  // The default socket from the environment: the one-shot note shows it escaped too.
  const env = await runCli(['set-mac', 'sim', '02:00:00:00:00:01'], { env: { PATH: process.env.PATH, IXGBEVF_SOCKET: path.join(dir, 'e\u001b[31m.sock') } });
  assert.equal(env.code, 0, env.stderr);
  assert.doesNotMatch(env.stderr, /\u001b/);
});
