import assert from 'node:assert/strict';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { socketFd } from '../../src/daemon/peercred.js';
import { addon, tempDir } from './helpers.js';

test('peerCredentials reports the connecting process of a Unix socket', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 's.sock');
  const accepted = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((sock) => resolve(sock));
    server.listen(path);
    t.after(() => server.close());
  });
  const client = net.connect(path);
  t.after(() => client.destroy());
  const sock = await accepted;
  t.after(() => sock.destroy());
  const fd = socketFd(sock);
  assert.ok(fd !== null && fd >= 0, 'the accepted socket has an fd');
  const cred = addon.peerCredentials(fd);
  assert.deepEqual(cred, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
});

test('peerCredentials refuses bad arguments and non-sockets without crashing', (t) => {
  const dir = tempDir(t);
  assert.throws(() => (addon.peerCredentials as (x?: unknown) => unknown)(), TypeError);
  assert.throws(() => addon.peerCredentials('3' as unknown as number), TypeError);
  assert.throws(() => addon.peerCredentials(-1), RangeError);
  assert.throws(() => addon.peerCredentials(1.5), RangeError);
  const fd = openSync(join(dir, 'plain'), 'w');
  try {
    assert.throws(() => addon.peerCredentials(fd), (err: NodeJS.ErrnoException) => err.code === 'ENOTSOCK' && err.syscall === 'getsockopt(SO_PEERCRED)');
  } finally {
    closeSync(fd);
  }
});
