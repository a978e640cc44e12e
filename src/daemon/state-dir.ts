/**
 * Is the state directory safe for a root daemon to write in? As sshd's StrictModes: the directory and
 * every directory above it (each symlink resolved to the real directory, component by component) must be
 * owned by root or by the daemon's uid and not writable by group or others — except a root-owned sticky
 * directory above it (/tmp), where others may create entries but not replace ours; and every symlink on
 * the way owned by root or the daemon's uid. Anything else lets another user swap a component or plant a
 * symlink at a name the daemon writes.
 */
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';

/** The lock file in the state directory (src/daemon/file-lock.ts): never a state file, never cleaned up. */
export const STATE_LOCK_FILE = 'daemon.lock';

const S_ISVTX = 0o1000;
const GROUP_OTHER_WRITE = 0o022;

/** The daemon's effective uid (0 where the platform has none). */
export function daemonUid(): number {
  return typeof process.geteuid === 'function' ? process.geteuid() : 0;
}

/** Uids whose files and directories the daemon trusts: root and itself. */
export function isTrustedOwner(uid: number): boolean {
  return uid === 0 || uid === daemonUid();
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** Every directory from `/` down to `dir` (absolute, normalised). */
function prefixes(dir: string): string[] {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  const out: string[] = [path.sep];
  for (let i = 0; i < parts.length; i++) out.push(path.join(path.sep, ...parts.slice(0, i + 1)));
  return out;
}

function unsafe(dir: string, what: string, hint: string): EnvironmentError {
  return new EnvironmentError('ERR_STATE_DIR_UNSAFE', `refusing state directory ${dir}: ${what}`, { hint });
}

/** Checks one real (symlink-free) directory; `isTarget`: the state directory itself (no sticky exception). */
function checkDirectory(stateDir: string, real: string, st: Stats, isTarget: boolean): void {
  if (!st.isDirectory()) throw unsafe(stateDir, `${real} is not a directory`, `ls -ld ${real}`);
  if (!isTrustedOwner(st.uid)) {
    throw unsafe(stateDir, `${real} is owned by uid ${st.uid} (only root or the daemon's uid ${daemonUid()} may own it)`, `chown root ${real}`);
  }
  if ((st.mode & GROUP_OTHER_WRITE) !== 0) {
    const stickyRoot = !isTarget && st.uid === 0 && (st.mode & S_ISVTX) !== 0;
    if (!stickyRoot) {
      throw unsafe(stateDir, `${real} is writable by ${(st.mode & 0o002) !== 0 ? 'every user' : 'its group'} (mode ${octal(st.mode)})`, `chmod go-w ${real}`);
    }
  }
}

/**
 * Creates the state directory if needed (mode 0700) and checks it and everything above it. Returns its
 * real path. Throws EnvironmentError (exit 3) with the offending directory and the command that fixes it.
 */
export async function prepareStateDir(dir: string): Promise<string> {
  try {
    return await prepare(path.resolve(dir));
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    throw new EnvironmentError('ERR_STATE_DIR', `cannot check state directory ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      hint: `ls -ld ${path.resolve(dir)}`,
      cause: err,
    });
  }
}

/** Symlinks followed while resolving one path, at most (the kernel's own limit is 40). */
const MAX_SYMLINK_HOPS = 40;

/**
 * Every symlink met while resolving `p`, component by component and inside link targets too, must be
 * owned by root or the daemon's uid (the kernel's protected_symlinks rule, applied to every component):
 * another user's link in a sticky directory (/tmp) would otherwise send the daemon into a directory that
 * user chose, however safe that directory itself is.
 */
async function checkSymlinkOwners(stateDir: string, p: string, hops = 0): Promise<void> {
  let at: string = path.sep;
  for (const part of path.resolve(p).split(path.sep).filter(Boolean)) {
    const next = path.join(at, part);
    let st: Stats;
    try {
      st = await fsp.lstat(next);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // the rest is created by us, checked after
      throw err;
    }
    if (!st.isSymbolicLink()) {
      at = next;
      continue;
    }
    if (!isTrustedOwner(st.uid)) {
      throw unsafe(stateDir, `${next} is a symlink owned by uid ${st.uid} (only root or the daemon's uid ${daemonUid()} may own a link on the way)`, `pass the real directory instead: ls -l ${next}`);
    }
    if (hops + 1 > MAX_SYMLINK_HOPS) throw unsafe(stateDir, `more than ${MAX_SYMLINK_HOPS} symlinks on the way`, `ls -l ${next}`);
    await checkSymlinkOwners(stateDir, path.resolve(at, await fsp.readlink(next)), hops + 1);
    at = await fsp.realpath(next);
  }
}

async function prepare(abs: string): Promise<string> {
  await checkSymlinkOwners(abs, abs);
  // What exists already must be safe before we create anything below it.
  let existing = abs;
  for (;;) {
    try {
      await fsp.lstat(existing);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existing === path.sep) throw err;
      existing = path.dirname(existing);
    }
  }
  if (existing !== abs) {
    await checkTree(abs, existing, false);
    try {
      await fsp.mkdir(abs, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new EnvironmentError('ERR_STATE_DIR', `cannot create state directory ${abs} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        hint: `mkdir -m 0700 -p ${abs} (as the user running the daemon)`,
        cause: err,
      });
    }
  }
  return checkTree(abs, abs, true);
}

/** Checks every prefix of `upTo` (each resolved with realpath, and every directory above that). */
async function checkTree(stateDir: string, upTo: string, includesTarget: boolean): Promise<string> {
  const seen = new Set<string>();
  const realTarget = await fsp.realpath(upTo);
  for (const given of prefixes(upTo)) {
    const real = await fsp.realpath(given);
    for (const dir of prefixes(real)) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      const st = await fsp.lstat(dir);
      checkDirectory(stateDir, dir, st, includesTarget && dir === realTarget);
    }
  }
  return realTarget;
}

/**
 * The state directory again, while the daemon runs (state.ts reopens it after it was removed, renamed,
 * replaced or mounted over): it must still be a real directory at the same real path — never followed
 * through a symlink now there, never created again — and pass every start-up check. Returns its lstat
 * (the caller opens it and compares dev/ino). Throws EnvironmentError: ERR_STATE_DIR_GONE (nothing
 * there), ERR_STATE_DIR_MOVED (a symlink or other file there), ERR_STATE_DIR_UNSAFE.
 */
export async function recheckStateDir(real: string): Promise<Stats> {
  let st: Stats;
  try {
    st = await fsp.lstat(real);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw recheckFailed(real, err);
    throw new EnvironmentError('ERR_STATE_DIR_GONE', `the state directory ${real} is gone (removed or renamed while the daemon ran): changes are not saved`, {
      hint: `mkdir -m 0700 ${real}   (or move it back; the next change is saved there)`,
    });
  }
  if (!st.isDirectory()) {
    throw new EnvironmentError('ERR_STATE_DIR_MOVED', `the state directory ${real} was replaced by ${st.isSymbolicLink() ? 'a symlink' : 'a file that is not a directory'} while the daemon ran: changes are not saved (the daemon never follows one there)`, {
      hint: `ls -ld ${real}; put the directory back there (mv), or restart the daemon to check the new one: systemctl restart ixgbevf`,
    });
  }
  try {
    await checkSymlinkOwners(real, real);
    const now = await checkTree(real, real, true);
    if (now !== real) throw unsafe(real, `it now resolves to ${now}`, `ls -ld ${real}`);
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    throw recheckFailed(real, err);
  }
  return st;
}

function recheckFailed(dir: string, err: unknown): EnvironmentError {
  return new EnvironmentError('ERR_STATE_DIR', `cannot check state directory ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
    hint: `ls -ld ${dir}`,
    cause: err,
  });
}

/**
 * The directory the daemon holds open (`st`: its fstat), still safe to write in? It must stay owned by
 * root or the daemon and not writable by group or others: a chown or chmod while the daemon runs is
 * refused as at start-up. Returns the ERR_STATE_DIR_UNSAFE error, or null.
 */
export function heldDirectoryProblem(dir: string, st: Stats): EnvironmentError | null {
  try {
    checkDirectory(dir, dir, st, true);
    return null;
  } catch (err) {
    if (err instanceof EnvironmentError) {
      return new EnvironmentError(err.code, `${err.message} (changed while the daemon ran: changes are not saved)`, { hint: err.hint });
    }
    throw err;
  }
}
