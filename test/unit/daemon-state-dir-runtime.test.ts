/**
 * The state directory changing under a running daemon (a shared host, a root service): removed, renamed,
 * replaced by a symlink (to root's or another user's directory), chmod'd or chown'd to others, taken by a
 * second daemon after a removal. A save then fails with a typed error naming the cause and its fix
 * (ERR_STATE_DIR_GONE / _MOVED / _UNSAFE / _BUSY), never writes into the renamed directory, through the
 * symlink or into a directory others control, and once the problem is fixed the next save lands at the
 * path a restart reads. Both the addon's one-job replace and the node:fs fallback; the real binary in a
 * child process for the daemon's side (persisted: false, one log line with the fix, alive, recovers).
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { emptyState, nativeReplaceFile, StateStore, STATE_LOCK_FILE, type DirectoryEvent } from '../../src/daemon/state.js';
import { takeLock } from '../../src/daemon/file-lock.js';
import { EnvironmentError } from '../../src/errors.js';
import { RawConn, tempDir, waitReady } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';

/** A hang (an event never logged) fails its test instead of the run; not a timing check. */
const GUARD_MS = 60_000;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const needsRoot = isRoot ? false : 'needs root (chown to another uid)';
const NOBODY = 65534;

function freshStateDir(): string {
  const dir = path.join(tempDir(), 'state');
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

function revisionIn(file: string): number {
  return (JSON.parse(readFileSync(file, 'utf8')) as { revision: number }).revision;
}

/** The two save paths: the addon's one job and the node:fs fallback. */
const paths: { name: string; replaceFile: undefined | null }[] = [
  { name: 'addon', replaceFile: undefined },
  { name: 'fallback', replaceFile: null },
];

function storeOn(dir: string, replaceFile: undefined | null): { store: StateStore; events: DirectoryEvent[] } {
  const events: DirectoryEvent[] = [];
  const store = new StateStore(dir, { ...(replaceFile === undefined ? {} : { replaceFile }), onDirectory: (e) => events.push(e) });
  if (replaceFile === undefined) assert.ok(nativeReplaceFile() !== null, 'the built addon exports replaceFileDurably');
  return { store, events };
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp, hint: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof EnvironmentError, `a typed error, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    assert.match(err.hint ?? '', hint);
    return true;
  });
}

for (const { name, replaceFile } of paths) {
  test(`${name}: the state directory removed under the store: saves fail ERR_STATE_DIR_GONE (fix: mkdir); recreated, the next save lands there`, { timeout: GUARD_MS }, async () => {
    const dir = freshStateDir();
    const { store, events } = storeOn(dir, replaceFile);
    await store.save('sim', emptyState(), 1);
    rmSync(dir, { recursive: true });
    await rejectsWith(store.save('sim', emptyState(), 2), 'ERR_STATE_DIR_GONE', /is gone \(removed or renamed while the daemon ran\)/, new RegExp(`^mkdir -m 0700 ${dir}`));
    await rejectsWith(store.save('sim', emptyState(), 3), 'ERR_STATE_DIR_GONE', /is gone/, /mkdir/);
    assert.equal(existsSync(dir), false, 'never created again by the store');
    mkdirSync(dir, { mode: 0o700 });
    await store.save('sim', emptyState(), 4);
    assert.equal(revisionIn(store.fileFor('sim')), 4);
    assert.deepEqual(events.map((e) => (e.kind === 'problem' ? e.error.code : e.kind)), ['ERR_STATE_DIR_GONE', 'ok'], 'the problem reported once, then its end');
    await store.close();
  });

  test(`${name}: the state directory renamed: no save lands in the renamed one (persisted would be a lie: a restart reads the path)`, { timeout: GUARD_MS }, async () => {
    const dir = freshStateDir();
    const { store } = storeOn(dir, replaceFile);
    await store.save('sim', emptyState(), 1);
    renameSync(dir, `${dir}.old`);
    await rejectsWith(store.save('sim', emptyState(), 2), 'ERR_STATE_DIR_GONE', /is gone/, /mkdir -m 0700/);
    assert.equal(revisionIn(path.join(`${dir}.old`, 'sim.json')), 1, 'the renamed directory is left as it was');
    // A new directory there: saves go to it (what a restart reads), with its own lock.
    mkdirSync(dir, { mode: 0o700 });
    await store.save('sim', emptyState(), 3);
    assert.equal(revisionIn(store.fileFor('sim')), 3);
    assert.equal(revisionIn(path.join(`${dir}.old`, 'sim.json')), 1);
    await store.close();
  });

  test(`${name}: the state directory replaced by a symlink (to root's directory, to another user's): ERR_STATE_DIR_MOVED, nothing written through it`, { timeout: GUARD_MS }, async () => {
    for (const owner of isRoot ? [0, NOBODY] : [process.getuid?.() ?? 0]) {
      const dir = freshStateDir();
      const { store } = storeOn(dir, replaceFile);
      await store.save('sim', emptyState(), 1);
      const other = path.join(path.dirname(dir), 'other');
      mkdirSync(other, { mode: 0o700 });
      if (owner !== 0) chownSync(other, owner, owner);
      renameSync(dir, `${dir}.old`);
      symlinkSync(other, dir);
      await rejectsWith(store.save('sim', emptyState(), 2), 'ERR_STATE_DIR_MOVED', /replaced by a symlink while the daemon ran/, /put the directory back there \(mv\)/);
      assert.deepEqual(readdirSync(other), [], `owner ${owner}: nothing written through the symlink`);
      assert.equal(revisionIn(path.join(`${dir}.old`, 'sim.json')), 1);
      // Put back: the next save persists.
      rmSync(dir);
      renameSync(`${dir}.old`, dir);
      await store.save('sim', emptyState(), 3);
      assert.equal(revisionIn(store.fileFor('sim')), 3);
      assert.deepEqual(readdirSync(other), []);
      await store.close();
    }
  });

  test(`${name}: the state directory chmod'd writable by others: saves refused (ERR_STATE_DIR_UNSAFE, fix chmod go-w) until it is fixed`, { timeout: GUARD_MS }, async () => {
    const dir = freshStateDir();
    const { store, events } = storeOn(dir, replaceFile);
    await store.save('sim', emptyState(), 1);
    chmodSync(dir, 0o777);
    await rejectsWith(store.save('sim', emptyState(), 2), 'ERR_STATE_DIR_UNSAFE', /writable by every user \(mode 0777\).*changed while the daemon ran/, new RegExp(`^chmod go-w ${dir}$`));
    chmodSync(dir, 0o770);
    await rejectsWith(store.save('sim', emptyState(), 3), 'ERR_STATE_DIR_UNSAFE', /writable by its group/, /chmod go-w/);
    assert.equal(revisionIn(store.fileFor('sim')), 1, 'nothing written while it was unsafe');
    assert.deepEqual(readdirSync(dir), ['sim.json'], 'no temp file created there');
    chmodSync(dir, 0o700);
    await store.save('sim', emptyState(), 4);
    assert.equal(revisionIn(store.fileFor('sim')), 4);
    assert.deepEqual(events.map((e) => (e.kind === 'problem' ? e.error.code : e.kind)), ['ERR_STATE_DIR_UNSAFE', 'ERR_STATE_DIR_UNSAFE', 'ok']);
    await store.close();
  });

  test(`${name}: the state directory chown'd to another user: saves refused (ERR_STATE_DIR_UNSAFE, fix chown root)`, { skip: needsRoot, timeout: GUARD_MS }, async () => {
    const dir = freshStateDir();
    const { store } = storeOn(dir, replaceFile);
    await store.save('sim', emptyState(), 1);
    chownSync(dir, NOBODY, NOBODY);
    await rejectsWith(store.save('sim', emptyState(), 2), 'ERR_STATE_DIR_UNSAFE', new RegExp(`owned by uid ${NOBODY}`), new RegExp(`^chown root ${dir}$`));
    assert.equal(revisionIn(store.fileFor('sim')), 1);
    chownSync(dir, 0, 0);
    await store.save('sim', emptyState(), 3);
    assert.equal(revisionIn(store.fileFor('sim')), 3);
    await store.close();
  });
}

test('removed, then another daemon holds the new directory: saves refused (ERR_STATE_DIR_BUSY) until it lets go; the store then holds that lock', { timeout: GUARD_MS }, async (t) => {
  const dir = freshStateDir();
  const { store } = storeOn(dir, undefined);
  await store.save('sim', emptyState(), 1);
  rmSync(dir, { recursive: true });
  mkdirSync(dir, { mode: 0o700 });
  const busy = (): EnvironmentError => new EnvironmentError('ERR_TEST_BUSY', 'busy');
  const other = takeLock(path.join(dir, STATE_LOCK_FILE), busy);
  if (other === null) {
    t.skip('no flock in this build');
    await store.close();
    return;
  }
  await rejectsWith(store.save('sim', emptyState(), 2), 'ERR_STATE_DIR_BUSY', /another daemon uses the state directory .* now/, /systemctl stop ixgbevf/);
  assert.deepEqual(readdirSync(dir), [STATE_LOCK_FILE], 'nothing written beside the other daemon');
  other.release();
  await store.save('sim', emptyState(), 3);
  assert.equal(revisionIn(store.fileFor('sim')), 3);
  assert.throws(() => takeLock(path.join(dir, STATE_LOCK_FILE), busy), { code: 'ERR_TEST_BUSY' }, 'the store holds the new directory lock');
  await store.close();
  takeLock(path.join(dir, STATE_LOCK_FILE), busy)?.release(); // released by close()
});

// ---------------------------------------------------------------------------------------------------
// The real binary

test('daemon: state directory removed while it runs: persisted false, one state-dir-problem log line with the fix, still serving; recreated, the next change persists and a restart loads it', { timeout: GUARD_MS }, async () => {
  const root = tempDir();
  const socket = path.join(root, 'd.sock');
  const dir = path.join(root, 'state');
  const args = ['sim', '--socket', socket, '--state-dir', dir];
  let d = new DaemonChild(args);
  try {
    await d.waitLog((l) => l.event === 'started');
    let conn = await RawConn.open(socket);
    await waitReady(conn, 'sim');
    type SetMac = { ok: boolean; result: { persisted: boolean } };
    const setMac = (id: number, mac: string): Promise<SetMac> => conn.request<SetMac>({ id, op: 'set-mac', vf: 'sim', mac });
    assert.equal((await setMac(1, '02:00:00:00:00:01')).result.persisted, true);
    rmSync(dir, { recursive: true });
    for (const [id, mac] of [[2, '02:00:00:00:00:02'], [3, '02:00:00:00:00:03']] as const) {
      const r = await setMac(id, mac);
      assert.equal(r.ok, true, 'the change itself is applied');
      assert.equal(r.result.persisted, false);
    }
    const problems = d.logs.filter((l) => l.event === 'state-dir-problem');
    assert.equal(problems.length, 1, 'logged once, not per change');
    assert.equal(problems[0]!.code, 'ERR_STATE_DIR_GONE');
    assert.equal(problems[0]!.fix, `mkdir -m 0700 ${dir}   (or move it back; the next change is saved there)`);
    assert.equal(existsSync(dir), false);
    mkdirSync(dir, { mode: 0o700 });
    assert.equal((await setMac(4, '02:00:00:00:00:04')).result.persisted, true);
    await d.waitLog((l) => l.event === 'state-dir-ok');
    assert.ok(d.alive);
    conn.close();
    d.kill('SIGTERM');
    assert.equal((await d.exited).code, 0);
    d = new DaemonChild(args);
    await d.waitLog((l) => l.event === 'started');
    const loaded = await d.waitLog((l) => l.event === 'state-loaded');
    assert.equal((loaded.desired as { mac: string }).mac, '02:00:00:00:00:04');
    conn = await RawConn.open(socket);
    conn.close();
  } finally {
    if (d.alive) d.kill('SIGTERM');
    await d.exited;
  }
});

test('a removed directory the path still leads to through a mount (a service\'s StateDirectory=, a bind mount): ERR_STATE_DIR_GONE with the fix: restart', { skip: needsRoot, timeout: GUARD_MS }, async (t) => {
  const dir = freshStateDir();
  const source = path.join(path.dirname(dir), 'source');
  mkdirSync(source, { mode: 0o700 });
  const mount = spawnSync('mount', ['--bind', source, dir]);
  if (mount.status !== 0) {
    t.skip(`mount --bind not possible here: ${mount.stderr.toString().trim()}`);
    return;
  }
  try {
    const { store } = storeOn(dir, undefined);
    await store.save('sim', emptyState(), 1);
    rmSync(source, { recursive: true });
    await rejectsWith(store.save('sim', emptyState(), 2), 'ERR_STATE_DIR_GONE', /still sees it through a mount of its own/, /^systemctl restart ixgbevf/);
    await store.close();
  } finally {
    spawnSync('umount', [dir]);
  }
});
