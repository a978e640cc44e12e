/**
 * The state directory's fsync is shared between saves (issue 15.3): saves of several VFs finishing together
 * cost fewer directory fsyncs than saves, yet every save resolves only after a directory fsync that
 * started after its own rename; an fsync that fails fails every save it covers (their replies then say
 * persisted: false), and the next save opens the directory again. The temp file is opened O_DSYNC (its
 * write is durable when it returns: no separate fdatasync round trip). Spies on node:fs.
 */
import assert from 'node:assert/strict';
import fs, { constants as fsc, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { emptyState, StateStore } from '../../src/daemon/state.js';
import { tempDir } from '../helpers/cli-daemon.js';

type Fs = typeof fs;
const mutableFs = fs as { -readonly [K in keyof Fs]: Fs[K] };

function freshStateDir(): string {
  const dir = path.join(tempDir(), 'state');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** Records renames and directory fsyncs on one counter; restores node:fs afterwards. */
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

test('concurrent saves of 8 VFs share directory fsyncs, and each resolves after one that started after its rename', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  const vfs = Array.from({ length: 8 }, (_, i) => `sim:mtu=${1500 + i}`);
  await withFsLog({}, async (log) => {
    await Promise.all(
      vfs.map(async (vf) => {
        await store.save(vf, { ...emptyState(), mtu: 1500 }, 1);
        log.push(`resolved ${path.basename(store.fileFor(vf))}`);
      }),
    );
    const fsyncs = log.filter((e) => e.startsWith('fsync-start')).length;
    assert.ok(fsyncs >= 1 && fsyncs < vfs.length, `${fsyncs} directory fsyncs for ${vfs.length} saves: ${log.join(', ')}`);
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

test('a failed directory fsync fails the saves it covers; the next save fsyncs again and succeeds', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
  await withFsLog({ fsync: 1 }, async () => {
    await assert.rejects(store.save('sim', emptyState(), 1), /EIO/);
    await store.save('sim', { ...emptyState(), mtu: 9000 }, 2);
  });
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 2);
  await store.close();
  // After close(), a save opens the directory again.
  await store.save('sim', emptyState(), 3);
  assert.equal(JSON.parse(readFileSync(store.fileFor('sim'), 'utf8')).revision, 3);
  await store.close();
});

test('the temp file is created exclusive, without following a symlink, and O_DSYNC (the write is durable when it returns)', async () => {
  const dir = freshStateDir();
  const store = new StateStore(dir);
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
  await store.close();
});
