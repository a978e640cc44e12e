/**
 * Is a path safe for a root daemon to trust? As sshd's StrictModes: every directory from `/` down (each
 * symlink resolved to the real directory, component by component) must be owned by root or by the
 * daemon's uid and not writable by group or others — except a root-owned sticky directory (/tmp), where
 * others may create entries but not replace ours; and every symlink on the way owned by root or the
 * daemon's uid (the kernel's protected_symlinks rule, applied to every component). Anything else lets
 * another user swap a component or plant a symlink, and so choose what the daemon reads or where it writes.
 * Used for the state directory (state-dir.ts) and the config file (config.ts); each words its own refusal.
 */
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { EnvironmentError } from '../errors.js';

const S_ISVTX = 0o1000;
const GROUP_OTHER_WRITE = 0o022;
/** Symlinks followed while resolving one path, at most (the kernel's own limit is 40). */
const MAX_SYMLINK_HOPS = 40;

/** The refusal of a path that is not safe: `what` is wrong with it, `hint` fixes it. */
export type Refuse = (what: string, hint: string) => EnvironmentError;

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

/**
 * Checks one real (symlink-free) directory. `stickyAllowed`: a root-owned sticky directory may be writable
 * by others (not for a directory the daemon itself writes in).
 */
export function checkDirectory(real: string, st: Stats, stickyAllowed: boolean, refuse: Refuse): void {
  if (!st.isDirectory()) throw refuse(`${real} is not a directory`, `ls -ld ${real}`);
  if (!isTrustedOwner(st.uid)) {
    throw refuse(`${real} is owned by uid ${st.uid} (only root or the daemon's uid ${daemonUid()} may own it)`, `chown root ${real}`);
  }
  if ((st.mode & GROUP_OTHER_WRITE) !== 0) {
    const stickyRoot = stickyAllowed && st.uid === 0 && (st.mode & S_ISVTX) !== 0;
    if (!stickyRoot) throw refuse(`${real} is writable by ${(st.mode & 0o002) !== 0 ? 'every user' : 'its group'} (mode ${octal(st.mode)})`, `chmod go-w ${real}`);
  }
}

/**
 * Every symlink met while resolving `p`, component by component and inside link targets too, must be
 * owned by root or the daemon's uid: another user's link in a sticky directory (/tmp) would otherwise send
 * the daemon where that user chose, however safe that place itself is. Components that do not exist yet
 * end the walk (the caller creates and checks them).
 */
export async function checkSymlinkOwners(p: string, refuse: Refuse, hops = 0): Promise<void> {
  let at: string = path.sep;
  for (const part of path.resolve(p).split(path.sep).filter(Boolean)) {
    const next = path.join(at, part);
    let st: Stats;
    try {
      st = await fsp.lstat(next);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (!st.isSymbolicLink()) {
      at = next;
      continue;
    }
    if (!isTrustedOwner(st.uid)) {
      throw refuse(`${next} is a symlink owned by uid ${st.uid} (only root or the daemon's uid ${daemonUid()} may own a link on the way)`, `pass the real path instead: ls -l ${next}`);
    }
    if (hops + 1 > MAX_SYMLINK_HOPS) throw refuse(`more than ${MAX_SYMLINK_HOPS} symlinks on the way`, `ls -l ${next}`);
    await checkSymlinkOwners(path.resolve(at, await fsp.readlink(next)), refuse, hops + 1);
    at = await fsp.realpath(next);
  }
}

/**
 * Checks every prefix of `upTo` (each resolved with realpath, and every directory above that); the real
 * `upTo` itself gets no sticky exception when `strictTarget`. Returns the real `upTo`.
 */
export async function checkTree(upTo: string, strictTarget: boolean, refuse: Refuse): Promise<string> {
  const seen = new Set<string>();
  const realTarget = await fsp.realpath(upTo);
  for (const given of prefixes(upTo)) {
    const real = await fsp.realpath(given);
    for (const dir of prefixes(real)) {
      if (seen.has(dir)) continue;
      seen.add(dir);
      const st = await fsp.lstat(dir);
      checkDirectory(dir, st, !(strictTarget && dir === realTarget), refuse);
    }
  }
  return realTarget;
}

/**
 * A file the daemon reads and obeys (its config): every symlink on the way to it trusted, and every
 * directory above its real path trusted (a root-owned sticky one allowed: others cannot replace our file
 * there). The file's own owner and mode are the caller's to check, on the descriptor it reads.
 */
export async function checkTrustedFilePath(file: string, refuse: Refuse): Promise<void> {
  await checkSymlinkOwners(file, refuse);
  await checkTree(path.dirname(await fsp.realpath(file)), false, refuse);
}

/** `p` itself when it exists, else its nearest existing ancestor (what is there before anything is created below it). */
export async function nearestExisting(p: string): Promise<string> {
  let existing = path.resolve(p);
  for (;;) {
    try {
      await fsp.lstat(existing);
      return existing;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || existing === path.sep) throw err;
      existing = path.dirname(existing);
    }
  }
}

/**
 * A directory the daemon creates names in (its sockets), checked before it is created: every symlink on the
 * way trusted, and it (or, while it does not exist yet, its nearest existing ancestor) and every directory
 * above trusted (a root-owned sticky one allowed: others cannot replace our names there). What the daemon
 * then creates below is its own.
 */
export async function checkTrustedDirectoryPath(dir: string, refuse: Refuse): Promise<void> {
  await checkSymlinkOwners(dir, refuse);
  await checkTree(await nearestExisting(dir), false, refuse);
}
