/**
 * Why a save of a VF's desired state failed, as a typed error with a fix: the state directory's own
 * checks (ERR_STATE_DIR_GONE, …_MOVED, …_UNSAFE, …_BUSY from state.ts) already are; a failure of the
 * file system underneath (full, read-only, immutable, an I/O error) becomes ERR_STATE_SAVE_FAILED with
 * the command that shows or fixes its cause. The change itself was applied: the daemon holds it while it
 * runs, only a restart would not restore it.
 */
import { EnvironmentError, IxgbevfError } from '../errors.js';
import { shellWord } from '../shell-word.js';

const CAUSES: Record<string, { cause: string; fix: (dir: string) => string }> = {
  ENOSPC: { cause: 'no space left on its file system', fix: (d) => `df -h ${d}   (free space there, then repeat the change)` },
  EDQUOT: { cause: 'the disk quota is used up', fix: (d) => `df -h ${d}   (free space there, then repeat the change)` },
  EROFS: { cause: 'its file system is read-only', fix: (d) => `findmnt -T ${d}   (remount it read-write, then repeat the change)` },
  EPERM: { cause: 'the directory refuses new files (immutable?)', fix: (d) => `lsattr -d ${d}   (chattr -i ${d}, then repeat the change)` },
  EACCES: { cause: 'permission denied', fix: (d) => `ls -ld ${d}   (the daemon's user must own it, mode 0700)` },
  EIO: { cause: 'the disk reported an I/O error', fix: () => 'dmesg   (look for the disk error at the end)' },
};

/** `err` (a rejected save into `dir`) as an IxgbevfError with a fix. */
export function explainSaveError(err: unknown, dir: string): IxgbevfError {
  if (err instanceof IxgbevfError) return err;
  const errno = (err as NodeJS.ErrnoException | null)?.code;
  const known = typeof errno === 'string' ? CAUSES[errno] : undefined;
  const d = shellWord(dir);
  const why = known?.cause ?? (err instanceof Error ? err.message : String(err));
  return new EnvironmentError('ERR_STATE_SAVE_FAILED', `the state could not be saved in ${dir}: ${why}${typeof errno === 'string' ? ` (${errno})` : ''}`, {
    hint: known?.fix(d) ?? `ls -ld ${d}   (then repeat the change)`,
    cause: err,
    details: { dir, ...(typeof errno === 'string' ? { errno } : {}) },
  });
}
