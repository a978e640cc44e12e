// sdNotify: the sd_notify(3) datagram, received by a real AF_UNIX SOCK_DGRAM socket. Node has no Unix
// datagram sockets, so the receiver is a python3 child (on the build machine anyway: node-gyp needs it)
// that binds the path or abstract name with SO_PASSCRED, as systemd does, and reports each datagram
// with the sender's pid from the kernel's SCM_CREDENTIALS.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { sdNotify } from '../../src/native.js';
import { addon, repoRoot, tempDir } from './helpers.js';

const RECEIVER = `
import json, socket, struct, sys
addr, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print('ready', flush=True)
if count == 0:
    sys.stdin.read()  # never reads the socket: its queue fills up
for _ in range(count):
    data, anc, flags, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
    pid = next((struct.unpack('iII', d)[0] for (lvl, typ, d) in anc if lvl == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS), None)
    print(json.dumps({'data': data.decode(), 'pid': pid}), flush=True)
`;

interface Received {
  data: string;
  pid: number | null;
}

/** Starts the python3 receiver on `address`; resolves once it is bound. `received` resolves with `count` datagrams. */
async function receiver(address: string, count = 1): Promise<{ received: Promise<Received[]>; stop(): void }> {
  const child = spawn('python3', ['-c', RECEIVER, address, String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  assert.equal(first.value, 'ready');
  const received = (async () => {
    const out: Received[] = [];
    for (let i = 0; i < count; i++) out.push(JSON.parse((await lines.next()).value as string) as Received);
    return out;
  })();
  const limit = setTimeout(() => child.kill('SIGKILL'), 15000); // only stops a hung child
  child.on('exit', () => clearTimeout(limit));
  return { received, stop: () => child.stdin!.end() };
}

function errnoError(code: string, syscall: string, path?: string) {
  return (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, code);
    assert.equal(typeof err.errno, 'number');
    assert.equal(err.syscall, syscall);
    if (path !== undefined) assert.equal(err.path, path);
    return true;
  };
}

describe('sdNotify (sd_notify(3) datagram)', () => {
  test('sends one datagram to a socket path, byte for byte, from this process', async (t) => {
    const path = join(tempDir(t), 'notify.sock');
    const { received } = await receiver(path, 2);
    assert.equal(addon.sdNotify('READY=1\nSTATUS=2 VFs up, 0 failed', path), true);
    assert.equal(addon.sdNotify('STOPPING=1', path), true);
    assert.deepEqual(await received, [
      { data: 'READY=1\nSTATUS=2 VFs up, 0 failed', pid: process.pid },
      { data: 'STOPPING=1', pid: process.pid },
    ]);
  });

  test('"@name" is an abstract socket (leading NUL, no trailing NUL)', async () => {
    const name = `@ixgbevf-test-${process.pid}-${Date.now()}`;
    const { received } = await receiver(name);
    assert.equal(addon.sdNotify('READY=1', name), true);
    assert.deepEqual(await received, [{ data: 'READY=1', pid: process.pid }]);
  });

  test('without a socket argument it reads $NOTIFY_SOCKET from the environment', async (t) => {
    const path = join(tempDir(t), 'env.sock');
    const { received } = await receiver(path, 2);
    const r = spawnSync(process.execPath, ['-e', `
      const addon = require(require('node-gyp-build').path(${JSON.stringify(repoRoot)}));
      console.log(JSON.stringify([addon.sdNotify('READY=1'), addon.sdNotify('READY=1', undefined)]));
    `], { cwd: repoRoot, env: { ...process.env, NOTIFY_SOCKET: path }, encoding: 'utf8', timeout: 15000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [true, true]);
    assert.deepEqual((await received).map((m) => m.data), ['READY=1', 'READY=1']);
  });

  test('NOTIFY_SOCKET unset or empty → false, nothing sent', () => {
    const r = spawnSync(process.execPath, ['-e', `
      const addon = require(require('node-gyp-build').path(${JSON.stringify(repoRoot)}));
      const a = addon.sdNotify('READY=1');
      process.env.NOTIFY_SOCKET = '';
      console.log(JSON.stringify([a, addon.sdNotify('READY=1')]));
    `], { cwd: repoRoot, env: { ...process.env, NOTIFY_SOCKET: undefined }, encoding: 'utf8', timeout: 15000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [false, false]);
    assert.equal(addon.sdNotify('READY=1', ''), false);
  });

  test('the typed wrapper: false for no socket, else the addon', async (t) => {
    assert.equal(sdNotify('READY=1', undefined), false);
    assert.equal(sdNotify('READY=1', ''), false);
    const saved = process.env['NOTIFY_SOCKET'];
    t.after(() => {
      if (saved === undefined) delete process.env['NOTIFY_SOCKET'];
      else process.env['NOTIFY_SOCKET'] = saved;
    });
    delete process.env['NOTIFY_SOCKET'];
    assert.equal(sdNotify('READY=1'), false);
    const path = join(tempDir(t), 'wrapper.sock');
    const { received } = await receiver(path);
    process.env['NOTIFY_SOCKET'] = path;
    assert.equal(sdNotify('STATUS=ok'), true);
    assert.equal((await received)[0]!.data, 'STATUS=ok');
  });

  test('failures are Node-style errno errors: code, errno, syscall, path', async (t) => {
    const dir = tempDir(t);
    const missing = join(dir, 'nobody-listens.sock');
    assert.throws(() => addon.sdNotify('READY=1', missing), errnoError('ENOENT', 'sendmsg', missing));
    assert.throws(() => addon.sdNotify('READY=1', 'relative.sock'), errnoError('EAFNOSUPPORT', 'sd_notify', 'relative.sock'));
    assert.throws(() => addon.sdNotify('READY=1', 'vsock:2:1234'), errnoError('EAFNOSUPPORT', 'sd_notify'));
    const long = '/' + 'x'.repeat(107);
    assert.throws(() => addon.sdNotify('READY=1', long), errnoError('EINVAL', 'sd_notify', long));
    assert.throws(() => addon.sdNotify('READY=1', '@' + 'x'.repeat(108)), errnoError('EINVAL', 'sd_notify'));
    assert.throws(() => addon.sdNotify('READY=1', '@ixgbevf-nobody-' + process.pid), errnoError('ECONNREFUSED', 'sendmsg'));
    // A stream socket is not a notify socket.
    const stream = join(dir, 'stream.sock');
    const server = net.createServer().listen(stream);
    t.after(() => server.close());
    await new Promise((resolve) => server.once('listening', resolve));
    assert.throws(() => addon.sdNotify('READY=1', stream), errnoError('EPROTOTYPE', 'sendmsg', stream));
  });

  test('a receiver that stops reading gives EAGAIN, never a blocked event loop', async (t) => {
    const path = join(tempDir(t), 'full.sock');
    const { stop } = await receiver(path, 0);
    t.after(stop);
    let sent = 0;
    let failure: NodeJS.ErrnoException | undefined;
    while (failure === undefined && sent < 100_000) {
      try {
        addon.sdNotify('STATUS=' + 'x'.repeat(1000), path);
        sent++;
      } catch (err) {
        failure = err as NodeJS.ErrnoException;
      }
    }
    assert.ok(failure !== undefined, `sendmsg never failed after ${sent} datagrams`);
    errnoError('EAGAIN', 'sendmsg', path)(failure);
    assert.ok(sent > 0, 'the first datagrams were queued');
  });

  test('bad arguments are TypeErrors and never crash', () => {
    const notify = addon.sdNotify as (...args: unknown[]) => unknown;
    assert.throws(() => notify(), TypeError);
    assert.throws(() => notify(1, '/x'), TypeError);
    assert.throws(() => notify('', '/x'), TypeError);
    assert.throws(() => notify('A=1\0B=2', '/x'), TypeError);
    assert.throws(() => notify('READY=1', 5), TypeError);
    assert.throws(() => notify('READY=1', '/x\0y'), TypeError);
  });
});
