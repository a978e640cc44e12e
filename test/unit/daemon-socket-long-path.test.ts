/**
 * listenPublished on a long socket path: the private name `.<name>.<pid>` would not fit a socket path, so
 * it used to listen on the path itself — and libuv's unlink at close then removed whatever was at the
 * path by then (another daemon's socket, an administrator's file), the defect the private name exists
 * to avoid. It now falls back to the shorter `.<pid>` first.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { listenPublished, UNIX_SOCKET_PATH_MAX } from '../../src/daemon/unix-socket.js';

test('a socket path at the length limit is still published through a private name: closing the server leaves a file put at the path alone', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'ixgbevf-lp-'));
  const dir = path.join(base, 'd'.repeat(Math.max(1, 94 - base.length - 1)));
  mkdirSync(dir);
  assert.equal(dir.length, 94);
  const file = path.join(dir, 'ixgbevf.sock');
  assert.equal(Buffer.byteLength(file), UNIX_SOCKET_PATH_MAX, 'the socket path itself fits, exactly');
  assert.ok(Buffer.byteLength(path.join(dir, `.ixgbevf.sock.${process.pid}`)) > UNIX_SOCKET_PATH_MAX, 'the long private name would not');
  const server = net.createServer();
  try {
    await listenPublished(server, file, null, (err) => err);
    assert.notEqual(server.address(), file, 'the server listens on a private name, not on the path');
    assert.ok(existsSync(file), 'published at the path');
    // The path now names something else (an administrator's file): closing must not remove it.
    unlinkSync(file);
    writeFileSync(file, 'not ours\n');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.ok(existsSync(file), "the administrator's file survives the close");
  } finally {
    if (server.listening) server.close();
    rmSync(base, { recursive: true, force: true });
  }
});
