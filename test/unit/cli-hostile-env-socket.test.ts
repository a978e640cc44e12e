/**
 * The real `ixgbevf` process talking to a socket that is not an ixgbevf daemon (a socket of another program
 * at $IXGBEVF_SOCKET or --socket, a flood): each is ERR_DAEMON_REPLY, exit 3, at once, with the line
 * quoted and escaped; never a TypeError and its stack (a `null` line), never 30 s of waiting called
 * "stopped or hung" (a line that is not JSON), never a buffer that grows without bound (no newline).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { spawnCliGuarded } from '../helpers/cli-proc.js';

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
