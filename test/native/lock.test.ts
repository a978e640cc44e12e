/** lockExclusive(fd): flock(LOCK_EX | LOCK_NB) on an open file — one holder at a time, never waiting, released with the close (or the process). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addon, tempDir } from './helpers.js';

test('one open file holds the lock; another open of the same file is told false at once; the close releases it', (t) => {
  const file = join(tempDir(t), 'x.lock');
  const a = openSync(file, 'w');
  const b = openSync(file, 'r');
  try {
    assert.equal(addon.lockExclusive(a), true);
    assert.equal(addon.lockExclusive(a), true, 'the holder may ask again');
    assert.equal(addon.lockExclusive(b), false);
    closeSync(a);
    assert.equal(addon.lockExclusive(b), true);
  } finally {
    closeSync(b);
  }
});

test('a lock held by another process is released when that process is killed (kill -9)', async (t) => {
  const file = join(tempDir(t), 'y.lock');
  closeSync(openSync(file, 'w'));
  const native = new URL('../../src/native.ts', import.meta.url).href;
  const script = `import { loadNative } from ${JSON.stringify(native)}; import fs from 'node:fs';
    const fd = fs.openSync(process.argv[1], 'r');
    if (!loadNative().lockExclusive(fd)) process.exit(5);
    console.log('locked');
    setInterval(() => undefined, 1e6);`;
  const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => holder.kill('SIGKILL'));
  await new Promise((r) => holder.stdout!.once('data', r));
  const fd = openSync(file, 'r');
  try {
    assert.equal(addon.lockExclusive(fd), false, 'the other process holds it');
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    assert.equal(addon.lockExclusive(fd), true);
  } finally {
    closeSync(fd);
  }
});

test('lockExclusive refuses bad arguments and closed fds without crashing', () => {
  assert.throws(() => (addon.lockExclusive as (x?: unknown) => unknown)(), TypeError);
  assert.throws(() => addon.lockExclusive('3' as unknown as number), TypeError);
  assert.throws(() => addon.lockExclusive(-1), RangeError);
  assert.throws(() => addon.lockExclusive(1.5), RangeError);
  assert.throws(() => addon.lockExclusive(999_999), (err: NodeJS.ErrnoException) => err.code === 'EBADF' && err.syscall === 'flock');
});
