/**
 * One daemon per socket path and per state directory: an exclusive flock on a lock file (beside the
 * socket: `<socket>.lock`; in the state directory: `daemon.lock`), held for the daemon's life and dropped
 * by the kernel when the process ends, kill -9 included. The file is never removed (removing it would let
 * two starters lock two different files). Without the native addon there is no flock: the caller is told
 * (null) and goes on as before, unlocked.
 */
import fs from 'node:fs';
import { EnvironmentError } from '../errors.js';
import { loadNative } from '../native.js';

export interface HeldLock {
  readonly file: string;
  /** Closes the lock file (the lock goes with it). Idempotent. */
  release(): void;
}

type LockFn = (fd: number) => boolean;

function lockFunction(): LockFn | null {
  try {
    const addon = loadNative();
    return typeof addon.lockExclusive === 'function' ? (fd) => addon.lockExclusive(fd) : null;
  } catch {
    return null;
  }
}

/**
 * Opens `file` (created 0600; a symlink is never followed) and takes its lock without waiting. Throws
 * `busy()` when another process holds it, an ERR_LOCK environment error when the file cannot be opened
 * or locked; null when this build has no flock.
 */
export function takeLock(file: string, busy: () => EnvironmentError): HeldLock | null {
  const lock = lockFunction();
  if (lock === null) return null;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new EnvironmentError('ERR_LOCK', `cannot open the lock file ${file} (${code === 'ELOOP' ? 'it is a symlink' : code})`, {
      hint: `ls -l ${file} (a regular file, or none: the daemon creates it)`,
      cause: err,
    });
  }
  let held: boolean;
  try {
    held = lock(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw new EnvironmentError('ERR_LOCK', `cannot lock ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { hint: `ls -l ${file}`, cause: err });
  }
  if (!held) {
    fs.closeSync(fd);
    throw busy();
  }
  let open = true;
  return {
    file,
    release: () => {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}
