/**
 * How a state save reaches the disk (issue 15.3, issue 11.1): with the addon's replaceFileDurably a save
 * is ONE call of it (one thread-pool job: exclusive 0600 temp, write, fdatasync, rename, directory fsync)
 * on the store's directory fd, with no node:fs round trip at all, and it resolves only once that call has;
 * a taken temp name is skipped; a failure rejects the save and leaves no temp; close() never closes the
 * directory fd under a save in flight. The node:fs fallback (an addon without the function) keeps the
 * same order: exclusive O_NOFOLLOW|O_DSYNC temp, write, rename, then an fsync of the directory that
 * starts after that save's own rename. Spies wrap the real primitive / node:fs.
 */
import assert from 'node:assert/strict';
import fs, { constants as fsc, fstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { emptyState, nativeReplaceFile, StateStore, TEMP_FILE_RE, type ReplaceFile } from '../../src/daemon/state.js';
import { tempDir } from '../helpers/cli-daemon.js';

type Fs = typeof fs;
const mutableFs = fs as { -readonly [K in keyof Fs]: Fs[K] };

function freshStateDir(): string {
  const dir = path.join(tempDir(), 'state');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

function realReplace(): ReplaceFile {
  const real = nativeReplaceFile();
  assert.ok(real !== null, 'the built addon exports replaceFileDurably (node scripts/build-native.mjs)');
  return real;
}

/**
 * The addon's replace, held at its start until release(): `fd()` is the directory fd the held call got
 * (-1 before it came), still open when the call goes on (fstat throws EBADF otherwise).
 */
function heldReplace(): { replaceFile: ReplaceFile; release(): void; fd(): number } {
  const real = realReplace();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let heldFd = -1;
  const replaceFile: ReplaceFile = async (fd, temp, final, data) => {
    heldFd = fd;
    await gate;
    fstatSync(fd);
    return real(fd, temp, final, data);
  };
  return { replaceFile, release, fd: () => heldFd };
}

interface Call {
  fd: number;
  temp: string;
  final: string;
  data: string;
}

/** Counts node:fs calls that would be thread-pool round trips of a save; restores node:fs afterwards. */
async function countingFsCalls<T>(body: (calls: string[]) => Promise<T>): Promise<T> {
  const calls: string[] = [];
  const names = ['open', 'write', 'fsync', 'fdatasync', 'rename', 'close', 'unlink'] as const;
  const saved = names.map((n) => [n, fs[n]] as const);
  const savedOpen = fs.promises.open;
  for (const [n, real] of saved) {
    (mutableFs as Record<string, unknown>)[n] = (...args: unknown[]) => {
      calls.push(n);
      return (real as (...a: unknown[]) => unknown)(...args);
    };
  }
  (fs.promises as { open: unknown }).open = (...args: unknown[]) => {
    calls.push('promises.open');
    return (savedOpen as (...a: unknown[]) => unknown)(...args);
  };
  try {
    return await body(calls);
  } finally {
    for (const [n, real] of saved) (mutableFs as Record<string, unknown>)[n] = real;
    (fs.promises as { open: unknown }).open = savedOpen;
  }
}

test('with the addon, a save is one replaceFileDurably call on the state directory fd (no node:fs round trip)', async () => {
  const real = realReplace();
  const dir = freshStateDir();
  const calls: Call[] = [];
  const store = new StateStore(dir, {
    replaceFile: (fd, temp, final, data) => {
      calls.push({ fd, temp, final, data: Buffer.from(data).toString('utf8') });
      return real(fd, temp, final, data);
    },
  });
  assert.equal(store.savesInOneJob, true);
  await store.save('sim', { ...emptyState(), mtu: 9000 }, 1); // opens the directory fd once
  const fsCalls = await countingFsCalls(async (fsCalls) => {
    await store.save('sim', { ...emptyState(), mac: '02:00:00:00:00:01' }, 2);
    return fsCalls;
  });
  assert.deepEqual(fsCalls, [], 'the second save made no node:fs call');
  assert.equal(calls.length, 2);
  const [, second] = calls as [Call, Call];
  const dirSt = statSync(dir);
  const fdSt = fstatSync(second.fd);
  assert.ok(fdSt.isDirectory() && fdSt.ino === dirSt.ino && fdSt.dev === dirSt.dev, 'the fd is the state directory');
  assert.equal(calls[0]!.fd, second.fd, 'the directory fd is kept between saves');
  assert.equal(second.final, path.basename(store.fileFor('sim')));
  assert.match(second.temp, TEMP_FILE_RE);
  assert.equal(second.data, readFileSync(store.fileFor('sim'), 'utf8'));
  assert.deepEqual(JSON.parse(second.data), { version: 1, vf: 'sim', revision: 2, desired: { vlans: [], multicast: [], mac: '02:00:00:00:00:01' } });
  assert.equal(statSync(store.fileFor('sim')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['sim.json']);
  await store.close();
});

test('a save resolves only once its replaceFileDurably call has (persisted: true never comes earlier)', async () => {
  const dir = freshStateDir();
  const held = heldReplace();
  const store = new StateStore(dir, { replaceFile: held.replaceFile });
  let resolved = false;
  const saving = store.save('sim', emptyState(), 1).then(() => (resolved = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(resolved, false);
  held.release();
  await saving;
  assert.equal(resolved, true);
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 1);
  await store.close();
});

test('a taken temp name (EEXIST from open) is skipped for the next one; any other failure rejects the save at once', async () => {
  const real = realReplace();
  const dir = freshStateDir();
  const temps: string[] = [];
  let failures: NodeJS.ErrnoException[] = [Object.assign(new Error('EEXIST: file exists, open'), { code: 'EEXIST', syscall: 'open' })];
  const store = new StateStore(dir, { replaceFile: (fd, temp, final, data) => {
    temps.push(temp);
    const failure = failures.shift();
    return failure !== undefined ? Promise.reject(failure) : real(fd, temp, final, data);
  } });
  await store.save('sim', emptyState(), 1);
  assert.equal(temps.length, 2);
  assert.notEqual(temps[0], temps[1]);
  temps.length = 0;
  failures = [Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' })];
  await assert.rejects(store.save('sim', emptyState(), 2), { code: 'ENOSPC', syscall: 'write' });
  assert.equal(temps.length, 1, 'not retried');
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 1, 'the old state is kept');
  await store.close();
});

test('a real failure (a directory at the state file name) rejects with the errno error and leaves no temp file', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  assert.equal(store.savesInOneJob, true);
  mkdirSync(store.fileFor('sim'));
  await assert.rejects(store.save('sim', emptyState(), 1), { code: 'EISDIR', syscall: 'rename' });
  assert.deepEqual(readdirSync(dir), ['sim.json']);
  await store.close();
});

test('concurrent saves of 8 VFs through the real primitive: each file complete, no temp left', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  const vfs = Array.from({ length: 8 }, (_, i) => `sim:mtu=${1500 + i}`);
  await Promise.all(vfs.map((vf, i) => store.save(vf, { ...emptyState(), mtu: 1500 + i }, i + 1)));
  vfs.forEach((vf, i) => assert.equal(JSON.parse(readFileSync(store.fileFor(vf), 'utf8')).desired.mtu, 1500 + i));
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), []);
  await store.close();
});

test('close() waits for a save in flight before closing the directory fd; a later save opens it again', async () => {
  const dir = freshStateDir();
  const held = heldReplace();
  const store = new StateStore(dir, { replaceFile: held.replaceFile });
  const saving = store.save('sim', emptyState(), 1);
  while (held.fd() < 0) await new Promise((r) => setImmediate(r));
  let closed = false;
  const closing = store.close().then(() => (closed = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(closed, false, 'close() waits for the save');
  held.release();
  await saving;
  await closing;
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 1);
  await store.save('sim', emptyState(), 2);
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 2);
  await store.close();
});

// ---------------------------------------------------------------------------------------------------
// The node:fs fallback (an addon built before replaceFileDurably)

/** Records renames and fsyncs; the fsync numbered `fail.fsync` fails with EIO. Restores node:fs afterwards. */
async function withFsLog<T>(fail: { fsync?: number }, body: (log: string[]) => Promise<T>): Promise<T> {
  const log: string[] = [];
  const realRename = fs.rename;
  const realFsync = fs.fsync;
  let fsyncs = 0;
  mutableFs.rename = ((from: fs.PathLike, to: fs.PathLike, cb: fs.NoParamCallback) =>
    realRename(from, to, (err) => {
      log.push(`renamed ${path.basename(String(to))}`);
      cb(err);
    })) as Fs['rename'];
  mutableFs.fsync = ((fd: number, cb: fs.NoParamCallback) => {
    const n = ++fsyncs;
    log.push(`fsync-start ${n}`);
    if (fail.fsync === n) {
      setImmediate(() => {
        log.push(`fsync-end ${n}`);
        cb(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
      });
      return;
    }
    realFsync(fd, (err) => {
      log.push(`fsync-end ${n}`);
      cb(err);
    });
  }) as Fs['fsync'];
  try {
    return await body(log);
  } finally {
    mutableFs.rename = realRename;
    mutableFs.fsync = realFsync;
  }
}

test('fallback: concurrent saves of 8 VFs each resolve after a directory fsync that started after their own rename', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir, { replaceFile: null });
  assert.equal(store.savesInOneJob, false);
  const vfs = Array.from({ length: 8 }, (_, i) => `sim:mtu=${1500 + i}`);
  await withFsLog({}, async (log) => {
    await Promise.all(
      vfs.map(async (vf) => {
        await store.save(vf, { ...emptyState(), mtu: 1500 }, 1);
        log.push(`resolved ${path.basename(store.fileFor(vf))}`);
      }),
    );
    for (const vf of vfs) {
      const name = path.basename(store.fileFor(vf));
      const renamedAt = log.indexOf(`renamed ${name}`);
      const resolvedAt = log.indexOf(`resolved ${name}`);
      assert.ok(renamedAt >= 0 && resolvedAt > renamedAt);
      const covering = log.slice(renamedAt + 1, resolvedAt).some((e, i, rest) => e.startsWith('fsync-start') && rest.slice(i).includes(e.replace('start', 'end')));
      assert.ok(covering, `${name}: no directory fsync both started and ended between its rename and its resolution: ${log.join(', ')}`);
    }
  });
  for (const vf of vfs) assert.equal(JSON.parse(readFileSync(store.fileFor(vf), 'utf8')).desired.mtu, 1500);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temp file left');
  await store.close();
});

test('fallback: a failed directory fsync fails its save; the next save fsyncs again and succeeds', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir, { replaceFile: null });
  await withFsLog({ fsync: 1 }, async () => {
    await assert.rejects(store.save('sim', emptyState(), 1), /EIO/);
    await store.save('sim', { ...emptyState(), mtu: 9000 }, 2);
  });
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 2);
  await store.close();
  await store.save('sim', emptyState(), 3);
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 3);
  await store.close();
});

test('fallback: the temp file is created exclusive, without following a symlink, and O_DSYNC', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir, { replaceFile: null });
  const fsp = fs.promises as { open: typeof fs.promises.open };
  const realOpen = fsp.open;
  const flags: number[] = [];
  fsp.open = ((file: fs.PathLike, f?: string | number, mode?: fs.Mode) => {
    if (path.basename(String(file)).startsWith('.')) flags.push(Number(f));
    return realOpen(file, f, mode);
  }) as typeof fs.promises.open;
  try {
    await store.save('sim', emptyState(), 1);
  } finally {
    fsp.open = realOpen;
  }
  assert.equal(flags.length, 1);
  const want = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | fsc.O_DSYNC;
  assert.equal(flags[0]! & want, want, `flags 0x${flags[0]!.toString(16)}`);
  assert.equal(statSync(store.fileFor('sim')).mode & 0o777, 0o600);
  await store.close();
});
