// replaceFileDurably (native/durable.cc): the crash-safe replace of a file in a directory fd, in one
// thread-pool job. Real files in a temp directory; the system-call sequence itself is checked under
// strace (skipped where strace is missing); a write that fails half-way is produced with RLIMIT_FSIZE
// in a child process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { constants as fsc, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { NativeError } from '../../src/native.js';
import { addon, repoRoot, tempDir } from './helpers.js';

const replace = addon.replaceFileDurably!;

/** A fresh directory and an O_DIRECTORY fd on it (closed after the test). */
function dirWithFd(t: Parameters<typeof tempDir>[0]): { dir: string; fd: number } {
  const dir = join(tempDir(t, 'ixgbevf-durable-'), 'd');
  mkdirSync(dir, { mode: 0o700 });
  const fd = fs.openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  t.after(() => fs.closeSync(fd));
  return { dir, fd };
}

async function rejection(p: Promise<unknown>): Promise<NativeError> {
  try {
    await p;
  } catch (err) {
    return err as NativeError;
  }
  assert.fail('expected a rejection');
}

test('replaceFileDurably is exported by the addon', () => {
  assert.equal(typeof addon.replaceFileDurably, 'function');
});

test('creates the file with mode 0600 (whatever the umask), the exact bytes, no temp left behind', async (t) => {
  const { dir, fd } = dirWithFd(t);
  const old = process.umask(0);
  try {
    const data = Buffer.from('{"a":1}\n');
    assert.equal(await replace(fd, '.f.json.tmp-1', 'f.json', data), undefined);
  } finally {
    process.umask(old);
  }
  const st = lstatSync(join(dir, 'f.json'));
  assert.ok(st.isFile());
  assert.equal(st.mode & 0o7777, 0o600);
  assert.equal(st.uid, process.getuid!());
  assert.equal(readFileSync(join(dir, 'f.json'), 'utf8'), '{"a":1}\n');
  assert.deepEqual(readdirSync(dir), ['f.json']);
});

test('replaces an existing file; empty and large (1 MiB) contents are written whole; a plain Uint8Array works', async (t) => {
  const { dir, fd } = dirWithFd(t);
  writeFileSync(join(dir, 'f'), 'old contents');
  await replace(fd, 't1', 'f', new Uint8Array(0));
  assert.equal(readFileSync(join(dir, 'f')).length, 0);
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 0xff;
  await replace(fd, 't2', 'f', big);
  assert.ok(readFileSync(join(dir, 'f')).equals(big));
  await replace(fd, 't3', 'f', new Uint8Array([104, 105]));
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'hi');
  assert.deepEqual(readdirSync(dir), ['f']);
});

test('the data is copied at the call: changing the buffer afterwards does not change the file', async (t) => {
  const { dir, fd } = dirWithFd(t);
  const data = Buffer.from('before');
  const done = replace(fd, 'tmp', 'f', data);
  data.write('AFTER!');
  await done;
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'before');
});

test('an existing temp name is refused with EEXIST (open), and neither it nor the file is touched', async (t) => {
  const { dir, fd } = dirWithFd(t);
  writeFileSync(join(dir, '.tmp'), 'someone else\'s');
  writeFileSync(join(dir, 'f'), 'old');
  const err = await rejection(replace(fd, '.tmp', 'f', Buffer.from('new')));
  assert.ok(err instanceof Error);
  assert.equal(err.code, 'EEXIST');
  assert.equal(err.errno, constants.errno.EEXIST);
  assert.equal(err.syscall, 'open');
  assert.equal(err.path, '.tmp');
  assert.match(err.message, /^EEXIST: .*open '\.tmp'/);
  assert.equal(readFileSync(join(dir, '.tmp'), 'utf8'), 'someone else\'s');
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'old');
});

test('a symlink at the temp name (to a file, or dangling) is never followed: EEXIST, target untouched or not created', async (t) => {
  const { dir, fd } = dirWithFd(t);
  const victim = join(dir, '..', 'victim');
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, join(dir, '.tmp-a'));
  const a = await rejection(replace(fd, '.tmp-a', 'f', Buffer.from('evil')));
  assert.equal(a.code, 'EEXIST');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.equal(readlinkSync(join(dir, '.tmp-a')), victim, 'the symlink is left alone');
  const dangling = join(dir, '..', 'would-be-created');
  symlinkSync(dangling, join(dir, '.tmp-b'));
  const b = await rejection(replace(fd, '.tmp-b', 'f', Buffer.from('evil')));
  assert.equal(b.code, 'EEXIST');
  assert.throws(() => lstatSync(dangling), { code: 'ENOENT' });
  assert.throws(() => lstatSync(join(dir, 'f')), { code: 'ENOENT' });
});

test('a symlink at the final name is replaced by the new file, never written through', async (t) => {
  const { dir, fd } = dirWithFd(t);
  const victim = join(dir, '..', 'victim');
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, join(dir, 'f'));
  await replace(fd, 'tmp', 'f', Buffer.from('new'));
  assert.ok(lstatSync(join(dir, 'f')).isFile());
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'new');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('bad names and arguments reject with typed errors before any system call (nothing is created anywhere)', async (t) => {
  const { dir, fd } = dirWithFd(t);
  const call = replace as (...args: unknown[]) => Promise<void>;
  const data = Buffer.from('x');
  const badValue = [
    [fd, '', 'f', data],
    [fd, '.', 'f', data],
    [fd, '..', 'f', data],
    [fd, '../escape', 'f', data],
    [fd, 'a/b', 'f', data],
    [fd, '/abs', 'f', data],
    [fd, 'nul\0name', 'f', data],
    [fd, 'tmp', '', data],
    [fd, 'tmp', '..', data],
    [fd, 'tmp', '../escape', data],
    [fd, 'same', 'same', data],
  ];
  for (const args of badValue) {
    const err = await rejection(call(...args));
    assert.ok(err instanceof TypeError, `${JSON.stringify(args.slice(1, 3))}: ${String(err)}`);
    assert.equal(err.code, 'ERR_INVALID_ARG_VALUE', JSON.stringify(args.slice(1, 3)));
  }
  const badType = [
    [],
    ['3', 'tmp', 'f', data],
    [3n, 'tmp', 'f', data],
    [fd, 1, 'f', data],
    [fd, 'tmp', undefined, data],
    [fd, 'tmp', 'f', 'a string'],
    [fd, 'tmp', 'f', new Uint16Array(2)],
    [fd, 'tmp', 'f', data.buffer],
    [fd, 'tmp', 'f'],
  ];
  for (const args of badType) {
    const err = await rejection(call(...args));
    assert.ok(err instanceof TypeError, String(err));
    assert.equal(err.code, 'ERR_INVALID_ARG_TYPE', String(err));
  }
  for (const badFd of [-1, 1.5, Number.NaN, 2 ** 31]) {
    const err = await rejection(call(badFd, 'tmp', 'f', data));
    assert.ok(err instanceof RangeError, String(err));
    assert.equal(err.code, 'ERR_OUT_OF_RANGE');
  }
  assert.deepEqual(readdirSync(dir), []);
  assert.deepEqual(readdirSync(join(dir, '..')).sort(), ['d']);
  // Rejected, never thrown: the call itself always returns a promise.
  const rejected = call(fd, '..', 'f', data);
  assert.ok(rejected instanceof Promise);
  await rejected.catch(() => undefined);
});

test('a closed, unknown or non-directory fd gives an errno error, not a crash', async (t) => {
  const { dir } = dirWithFd(t);
  const closed = fs.openSync(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  fs.closeSync(closed);
  const e1 = await rejection(replace(closed, 'tmp', 'f', Buffer.from('x')));
  assert.equal(e1.code, 'EBADF');
  assert.equal(e1.syscall, 'open');
  const e2 = await rejection(replace(2 ** 31 - 1, 'tmp', 'f', Buffer.from('x')));
  assert.equal(e2.code, 'EBADF');
  writeFileSync(join(dir, 'plain'), '');
  const fileFd = fs.openSync(join(dir, 'plain'), 'r');
  t.after(() => fs.closeSync(fileFd));
  const e3 = await rejection(replace(fileFd, 'tmp', 'f', Buffer.from('x')));
  assert.equal(e3.code, 'ENOTDIR');
  assert.deepEqual(readdirSync(dir), ['plain']);
});

test('a rename that fails (a directory at the final name) rejects with rename/dest and leaves no temp behind', async (t) => {
  const { dir, fd } = dirWithFd(t);
  mkdirSync(join(dir, 'f'));
  writeFileSync(join(dir, 'f', 'inside'), 'kept');
  const err = await rejection(replace(fd, '.tmp', 'f', Buffer.from('new')));
  assert.equal(err.code, 'EISDIR');
  assert.equal(err.syscall, 'rename');
  assert.equal(err.path, '.tmp');
  assert.equal(err.dest, 'f');
  assert.deepEqual(readdirSync(dir), ['f'], 'the temp file was removed');
  assert.equal(readFileSync(join(dir, 'f', 'inside'), 'utf8'), 'kept');
});

test('a write that fails half-way (RLIMIT_FSIZE: EFBIG after a short write) rejects and leaves the old file and no temp', async (t) => {
  const { dir } = dirWithFd(t);
  writeFileSync(join(dir, 'f'), 'old');
  // bash's `ulimit -f 4` = 4 KiB; SIGXFSZ is handled in the child so write(2) returns EFBIG instead.
  const script = `
    const addon = require(${JSON.stringify(join(repoRoot, 'build/Release/ixgbevf_vfio.node'))});
    const fs = require('node:fs');
    process.on('SIGXFSZ', () => {});
    const fd = fs.openSync(${JSON.stringify(dir)}, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    addon.replaceFileDurably(fd, '.tmp', 'f', Buffer.alloc(64 * 1024, 0x61)).then(
      () => console.log(JSON.stringify({ ok: true })),
      (e) => console.log(JSON.stringify({ code: e.code, syscall: e.syscall, path: e.path })));
  `;
  const r = spawnSync('bash', ['-c', 'ulimit -f 4 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { code: 'EFBIG', syscall: 'write', path: '.tmp' });
  assert.deepEqual(readdirSync(dir), ['f'], 'no temp file left');
  assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'old');
});

test('concurrent calls (64 at once, 8 files, unique temps): all resolve, each file holds one whole version, no temp left', async (t) => {
  const { dir, fd } = dirWithFd(t);
  const version = (file: number, n: number): string => `${JSON.stringify({ file, n, pad: 'x'.repeat(100 + n * 13) })}\n`;
  await Promise.all(
    Array.from({ length: 64 }, (_, i) => replace(fd, `.tmp-${i}`, `f${i % 8}`, Buffer.from(version(i % 8, i)))),
  );
  assert.deepEqual(readdirSync(dir).sort(), Array.from({ length: 8 }, (_, i) => `f${i}`));
  for (let f = 0; f < 8; f++) {
    const text = readFileSync(join(dir, `f${f}`), 'utf8');
    const doc = JSON.parse(text) as { file: number; n: number };
    assert.equal(doc.file, f);
    assert.equal(text, version(f, doc.n));
  }
});

test('replaces atomically: a reader in another thread only ever sees a complete old or new version', async (t) => {
  const { dir, fd } = dirWithFd(t);
  const file = join(dir, 'f');
  const versions = [`${'a'.repeat(3000)}\n`, `${'b'.repeat(17)}\n`, `${'c'.repeat(9000)}\n`];
  writeFileSync(file, versions[0]!);
  const reader = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const fs = require('node:fs');
     const seen = new Map(); let stop = false;
     parentPort.on('message', () => { stop = true; });
     (function loop() {
       for (let i = 0; i < 200; i++) {
         let text;
         try { text = fs.readFileSync(workerData.file, 'utf8'); } catch (e) { text = 'error ' + e.code; }
         seen.set(text, (seen.get(text) ?? 0) + 1);
       }
       if (stop) parentPort.postMessage([...seen]); else setImmediate(loop);
     })();`,
    { eval: true, workerData: { file } },
  );
  t.after(() => reader.terminate());
  for (let i = 0; i < 300; i++) await replace(fd, `.tmp-${i}`, 'f', Buffer.from(versions[i % 3]!));
  const result = new Promise<[string, number][]>((resolve) => reader.once('message', resolve));
  reader.postMessage('stop');
  const seen = await result;
  const reads = seen.reduce((sum, [, n]) => sum + n, 0);
  assert.ok(reads > 0);
  for (const [text, n] of seen) assert.ok(versions.includes(text), `${n} reads saw ${JSON.stringify(text.slice(0, 40))}… (${text.length} bytes)`);
  assert.deepEqual(readdirSync(dir), ['f']);
});

const hasStrace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;

test('one thread-pool job: open (exclusive, no symlink, cloexec, 0600) → write → fdatasync → close → rename → directory fsync, in that order on one thread', { skip: hasStrace ? false : 'strace not installed' }, (t) => {
  const { dir } = dirWithFd(t);
  const script = `
    const addon = require(${JSON.stringify(join(repoRoot, 'build/Release/ixgbevf_vfio.node'))});
    const fs = require('node:fs');
    const fd = fs.openSync(${JSON.stringify(dir)}, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    console.error('DIRFD ' + fd);
    addon.replaceFileDurably(fd, '.state.tmp-x', 'state.json', Buffer.from('payload')).then(() => console.error('DONE'));
  `;
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat,write,fdatasync,fsync,close,rename,renameat,renameat2', process.execPath, '-e', script], { encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const dirFd = /DIRFD (\d+)/.exec(r.stderr)?.[1];
  assert.ok(dirFd !== undefined, r.stderr.slice(-2000));
  const lines = r.stderr.split('\n');
  const openAt = lines.findIndex((l) => l.includes('".state.tmp-x"') && l.includes('openat('));
  assert.ok(openAt >= 0, 'the temp file is opened with openat');
  const open = lines[openAt]!;
  assert.match(open, new RegExp(`openat\\(${dirFd}, "\\.state\\.tmp-x", `));
  for (const flag of ['O_WRONLY', 'O_CREAT', 'O_EXCL', 'O_NOFOLLOW', 'O_CLOEXEC']) assert.ok(open.includes(flag), `${flag} in ${open}`);
  assert.match(open, /, 0600\)\s+= \d+/);
  const tempFd = /= (\d+)\s*$/.exec(open)![1]!;
  const tid = /^\[pid\s+(\d+)\]/.exec(open)?.[1];
  const sameThread = (l: string): boolean => (/^\[pid\s+(\d+)\]/.exec(l)?.[1]) === tid;
  const after = lines.slice(openAt + 1).filter(sameThread);
  const expected = [
    new RegExp(`^(\\[pid\\s+\\d+\\] )?write\\(${tempFd}, "payload", 7\\)\\s+= 7`),
    new RegExp(`^(\\[pid\\s+\\d+\\] )?fdatasync\\(${tempFd}\\)\\s+= 0`),
    new RegExp(`^(\\[pid\\s+\\d+\\] )?close\\(${tempFd}\\)\\s+= 0`),
    new RegExp(`^(\\[pid\\s+\\d+\\] )?renameat2?\\(${dirFd}, "\\.state\\.tmp-x", ${dirFd}, "state\\.json"(, 0)?\\)\\s+= 0`),
    new RegExp(`^(\\[pid\\s+\\d+\\] )?fsync\\(${dirFd}\\)\\s+= 0`),
  ];
  assert.ok(after.length >= expected.length, after.join('\n'));
  expected.forEach((re, i) => assert.match(after[i]!, re));
  assert.ok(r.stderr.includes('DONE'));
  assert.equal(readFileSync(join(dir, 'state.json'), 'utf8'), 'payload');
});
