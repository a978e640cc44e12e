/**
 * The control socket's idle timeout counts from the last reply, not from the connection's start: the
 * server keeps one timer per connection and re-arms it (refresh) after each request instead of a new
 * timer per request. A client that keeps asking within the timeout stays connected for many times the
 * timeout; once it stops, it is closed with ERR_IDLE. The margins are wide (requests every 50 ms against
 * a 1.5 s timeout) so a loaded machine does not make the test flaky; nothing here asserts a duration.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawConn, type Reply } from '../helpers/cli-daemon.js';
import { startDirectDaemon } from '../helpers/daemon-direct.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('requests keep a connection open past the idle timeout; silence after the last reply closes it with ERR_IDLE', { timeout: 60_000 }, async () => {
  const idleMs = 1500;
  const d = await startDirectDaemon(['sim'], { idleTimeoutMs: idleMs });
  const conn = await RawConn.open(d.socket);
  try {
    const started = performance.now();
    let id = 0;
    // Keep asking until well past the timeout (at least 3 timeouts and 40 requests).
    while (performance.now() - started < 3 * idleMs || id < 40) {
      const reply = await conn.request<Reply>({ id: ++id, op: 'status' });
      assert.equal(reply.ok, true, `request ${id}`);
      assert.equal(conn.socket.destroyed, false);
      await pause(50);
    }
    await conn.closed;
    const reason = conn.lines.at(-1) as Reply;
    assert.equal(reason.id, null);
    assert.equal(reason.error?.code, 'ERR_IDLE', JSON.stringify(conn.lines.slice(-3)));
    assert.equal(conn.lines.filter((l) => (l as Reply).error?.code === 'ERR_IDLE').length, 1, 'closed once, with one reason');
    assert.equal(d.log().filter((l) => l.event === 'client-idle-closed').length, 1);
  } finally {
    conn.close();
    await d.stop();
  }
});

test('a request that arrives in pieces (no newline yet) does not count as activity', { timeout: 30_000 }, async () => {
  const d = await startDirectDaemon(['sim'], { idleTimeoutMs: 400 });
  const conn = await RawConn.open(d.socket);
  try {
    assert.equal((await conn.request<Reply>({ id: 1, op: 'status' })).ok, true);
    // Dribble half a request at a steady pace: bytes without a complete line never re-arm the timer.
    const dribble = setInterval(() => {
      if (!conn.socket.destroyed) conn.socket.write(' ');
    }, 50);
    try {
      await conn.closed;
    } finally {
      clearInterval(dribble);
    }
    // The daemon's own word that it closed the connection for idleness. (The ERR_IDLE line itself may be
    // lost here: our next dribbled write can hit the closed socket, and Node then drops what was unread.)
    assert.equal(d.log().filter((l) => l.event === 'client-idle-closed').length, 1, JSON.stringify(d.log()));
    assert.ok(conn.lines.every((l) => (l as Reply).ok === true || (l as Reply).error?.code === 'ERR_IDLE'), JSON.stringify(conn.lines));
  } finally {
    conn.close();
    await d.stop();
  }
});
