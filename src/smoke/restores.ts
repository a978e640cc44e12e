/**
 * What a smoke run has changed on the host and not put back yet, live, each with the command that puts it
 * back: the VF moved to vfio-pci (--bind), the PF's trust and administrator MAC (--allow-pf-changes), the PF
 * taken down (--allow-pf-reset), a test MAC the PF may keep for the VF. A check adds an entry before it
 * changes something and the step that restores it removes the entry; what is still listed when a second
 * Ctrl-C abandons the restore is what the CLI prints (src/cli/smoke.ts), synchronously, right before exit.
 */

/** One change not put back yet. */
export interface PendingRestore {
  /** What is changed, e.g. `0000:03:10.0 is on vfio-pci (was ixgbevf)`. */
  what: string;
  /** The command that puts it back. */
  restore: string;
}

export class PendingRestores {
  readonly #open = new Map<string, PendingRestore>();

  /** Records (or updates) the change under `key`. */
  add(key: string, change: PendingRestore): void {
    this.#open.set(key, { ...change });
  }

  /** The change under `key` was put back. */
  done(key: string): void {
    this.#open.delete(key);
  }

  /** What is still changed, the latest change first (the order to undo them in). */
  list(): PendingRestore[] {
    return [...this.#open.values()].reverse().map((c) => ({ ...c }));
  }
}

/** The keys of the changes the checks make (added by the check that changes it, removed by the step that restores it). */
export const PENDING = {
  /** --bind: env.driver → release.driver. */
  driver: 'vf.driver',
  /** A test MAC the PF may keep for the VF (ixgbe keeps it): the held checks → release.restore. */
  vfMac: 'vf.mac',
  /** Trust and administrator MAC: pf.trust-off → pf.restore. */
  pfSettings: 'pf.settings',
  /** The PF's interface taken down: pf.reset, until it brought it up again. */
  pfDown: 'pf.down',
} as const;
