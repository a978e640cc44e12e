/**
 * The held state directory (StateStore's): one fd kept open, every save named relative to it, and before
 * each save the check that the directory is still the one at its path and still safe (removed, renamed,
 * replaced, mounted over, chmod'd or chown'd while the daemon runs), with the path checked again as at
 * start-up and the directory opened anew when it was let go.
 */
import fs, { constants as fsc } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { close, fstat, open } from './fd-ops.js';
import { takeLock, type HeldLock } from './file-lock.js';
import { heldDirectoryProblem, recheckStateDir, STATE_LOCK_FILE } from './state-dir.js';

/** The directory fd and what it was opened as. */
interface OpenDir {
  fd: number;
  dev: number;
  ino: number;
}

/** What a directory event reports (StateStoreOptions.onDirectory). */
export type DirectoryEvent =
  | { kind: 'problem'; error: EnvironmentError }
  | { kind: 'reopened'; dir: string }
  | { kind: 'ok'; dir: string };

/**
 * The state directory, opened once (O_RDONLY|O_DIRECTORY|O_NOFOLLOW) and kept: every save names its files
 * relative to this fd and fsyncs it. `use()` counts the saves in flight so that close() never closes the
 * fd under a running job (a number reused by another open file would then be written through). A failed
 * open is tried again at the next save.
 *
 * Before each save it checks (fstat of the fd and lstat of the path: two attribute reads the kernel
 * answers from its caches, no thread-pool round trip) that the directory is still the one at the path
 * and still safe: a directory chown'd or chmod'd to others while the daemon runs is refused (its saves
 * fail, ERR_STATE_DIR_UNSAFE); one removed, renamed, replaced or mounted over is let go, and the path is
 * checked again as at start-up (state-dir.ts recheckStateDir) and opened anew — never through a symlink
 * now there, never created again, and with its own daemon.lock taken (another daemon may have started
 * on it meanwhile: ERR_STATE_DIR_BUSY). Without that check the daemon would write on into a directory
 * nobody reads again (renamed: `persisted: true`, lost at the next start) or never save again (removed
 * and created anew).
 */
export class DirectoryFd {
  #current: Promise<OpenDir> | null = null;
  /** What #current resolved to (null while it opens). */
  #openDir: OpenDir | null = null;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Retired fds being closed once the saves that used them have ended. */
  readonly #closing = new Set<Promise<void>>();
  /** dev:ino of the directory whose daemon.lock is held (by the daemon's start, or below by #lock). */
  #lockedId: string | null;
  #lock: HeldLock | null = null;
  /** The last problem reported (so each is reported once), or null. */
  #problem: string | null = null;

  constructor(
    private readonly dir: string,
    private readonly onEvent: (e: DirectoryEvent) => void,
  ) {
    let id: string | null = null;
    try {
      const st = fs.statSync(dir);
      id = `${st.dev}:${st.ino}`;
    } catch {
      // none yet: the first open takes the lock
    }
    this.#lockedId = id;
  }

  use<T>(body: (fd: number) => Promise<T>): Promise<T> {
    const run = this.#run(body).then(
      (v) => {
        this.#report(null);
        return v;
      },
      (err: unknown) => {
        if (err instanceof EnvironmentError) this.#report(err);
        throw err;
      },
    );
    this.#inFlight.add(run);
    const done = (): void => void this.#inFlight.delete(run);
    run.then(done, done);
    return run;
  }

  async #run<T>(body: (fd: number) => Promise<T>): Promise<T> {
    let open = await this.#open();
    const before = this.#check(open);
    if (before === 'stale') open = await this.#reopen(open);
    else if (before !== null) throw before;
    try {
      return await body(open.fd);
    } catch (err) {
      // A failure the directory explains (removed or replaced during this save): say so, reopen next time.
      const after = this.#check(open);
      if (after === null) throw err;
      if (after === 'stale') {
        this.#retire(open);
        throw new EnvironmentError('ERR_STATE_DIR_GONE', `the state directory ${this.dir} was removed or replaced while a change was being saved (${(err as NodeJS.ErrnoException).code ?? String(err)}): it is not saved`, {
          hint: `ls -ld ${this.dir}   (then repeat the change)`,
          cause: err,
        });
      }
      throw after;
    }
  }

  /**
   * null: the held directory is the one at the path and safe. 'stale': it was removed (no links left) or
   * the path names something else now. An EnvironmentError: it is there but no longer safe.
   */
  #check(open: OpenDir): EnvironmentError | 'stale' | null {
    let held: fs.Stats;
    try {
      held = fs.fstatSync(open.fd);
    } catch {
      return 'stale';
    }
    if (held.nlink === 0) return 'stale';
    let named: fs.Stats;
    try {
      named = fs.lstatSync(this.dir);
    } catch {
      return 'stale';
    }
    if (named.dev !== open.dev || named.ino !== open.ino) return 'stale';
    return heldDirectoryProblem(this.dir, held);
  }

  #open(): Promise<OpenDir> {
    if (this.#current === null) {
      const pending = this.#openChecked();
      this.#current = pending;
      pending.then(
        (o) => {
          if (this.#current === pending) this.#openDir = o;
        },
        () => {
          if (this.#current === pending) this.#current = null; // try again at the next save
        },
      );
    }
    return this.#current;
  }

  /** Lets `old` go (closed once its saves end) and opens the path again, checked as at start-up. */
  async #reopen(old: OpenDir): Promise<OpenDir> {
    this.#retire(old);
    const open = await this.#open();
    this.onEvent({ kind: 'reopened', dir: this.dir });
    return open;
  }

  #retire(old: OpenDir): void {
    if (this.#openDir === old) {
      this.#current = null;
      this.#openDir = null;
    }
    const closing = Promise.allSettled([...this.#inFlight]).then(() => close(old.fd).catch(() => undefined));
    this.#closing.add(closing);
    void closing.then(() => this.#closing.delete(closing));
  }

  async #openChecked(): Promise<OpenDir> {
    const named = await recheckStateDir(this.dir);
    const fd = await open(this.dir, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
    try {
      const st = await fstat(fd);
      if (st.dev !== named.dev || st.ino !== named.ino) {
        throw new EnvironmentError('ERR_STATE_DIR_MOVED', `the state directory ${this.dir} changed while it was being opened`, { hint: `ls -ld ${this.dir}` });
      }
      if (st.nlink === 0) {
        // Removed, yet the path still leads to it: a mount of its own keeps it here (systemd's
        // StateDirectory= under ProtectSystem=, a bind mount); a directory made anew is not seen.
        throw new EnvironmentError('ERR_STATE_DIR_GONE', `the state directory ${this.dir} was removed, yet this daemon still sees it through a mount of its own (a service's StateDirectory=, a bind mount): changes are not saved`, {
          hint: 'systemctl restart ixgbevf   (the daemon then uses the directory there now)',
        });
      }
      const id = `${st.dev}:${st.ino}`;
      if (id !== this.#lockedId) {
        // A directory other than the one locked at start: one daemon per state directory holds here too.
        const lock = takeLock(path.join(this.dir, STATE_LOCK_FILE), () =>
          new EnvironmentError('ERR_STATE_DIR_BUSY', `another daemon uses the state directory ${this.dir} now (it holds ${STATE_LOCK_FILE} there): changes are not saved`, {
            hint: 'give each daemon its own --state-dir, or stop the other: systemctl stop ixgbevf',
          }),
        );
        this.#lock?.release();
        this.#lock = lock;
        this.#lockedId = id;
      }
      return { fd, dev: st.dev, ino: st.ino };
    } catch (err) {
      await close(fd).catch(() => undefined);
      throw err;
    }
  }

  #report(error: EnvironmentError | null): void {
    const key = error === null ? null : `${error.code} ${error.message}`;
    if (key === this.#problem) return;
    this.#problem = key;
    this.onEvent(error === null ? { kind: 'ok', dir: this.dir } : { kind: 'problem', error });
  }

  async close(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await Promise.allSettled([...this.#closing]);
    const pending = this.#current;
    this.#current = null;
    this.#openDir = null;
    this.#lock?.release();
    this.#lock = null;
    if (pending === null) return;
    const open = await pending.catch(() => null);
    if (open !== null) await close(open.fd).catch(() => undefined);
  }
}

