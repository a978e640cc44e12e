/**
 * Is the state directory safe for a root daemon to write in? The StrictModes rule of trusted-path.ts for
 * the directory and everything above it, the state directory itself with no sticky exception (the daemon
 * writes there). Creates it (0700) if needed, and checks it again while the daemon runs.
 */
import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { checkDirectory, checkSymlinkOwners, checkTree, nearestExisting, type Refuse } from './trusted-path.js';

export { daemonUid, isTrustedOwner } from './trusted-path.js';

/** The lock file in the state directory (src/daemon/file-lock.ts): never a state file, never cleaned up. */
export const STATE_LOCK_FILE = 'daemon.lock';

function unsafe(dir: string, what: string, hint: string): EnvironmentError {
  return new EnvironmentError('ERR_STATE_DIR_UNSAFE', `refusing state directory ${dir}: ${what}`, { hint });
}

/** The refusal of `stateDir`, for the checks of trusted-path.ts. */
const refusing = (stateDir: string): Refuse => (what, hint) => unsafe(stateDir, what, hint);

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

async function prepare(abs: string): Promise<string> {
  await checkSymlinkOwners(abs, refusing(abs));
  // What exists already must be safe before we create anything below it.
  const existing = await nearestExisting(abs);
  if (existing !== abs) {
    await checkTree(existing, false, refusing(abs));
    try {
      await fsp.mkdir(abs, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new EnvironmentError('ERR_STATE_DIR', `cannot create state directory ${abs} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
        hint: `mkdir -m 0700 -p ${abs} (as the user running the daemon)`,
        cause: err,
      });
    }
  }
  return checkTree(abs, true, refusing(abs));
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
    await checkSymlinkOwners(real, refusing(real));
    const now = await checkTree(real, true, refusing(real));
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
    checkDirectory(dir, st, false, refusing(dir));
    return null;
  } catch (err) {
    if (err instanceof EnvironmentError) {
      return new EnvironmentError(err.code, `${err.message} (changed while the daemon ran: changes are not saved)`, { hint: err.hint });
    }
    throw err;
  }
}
