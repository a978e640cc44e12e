/**
 * What a smoke check sees and leaves for the later ones (`SmokeRun`: the options, the host operations, the
 * opened VF, the PF side and its first view, the reset's answer, the words seen on the mailbox, what is left
 * changed), and the shape of one check (`CheckDef`: its place in the table and how it runs). The check
 * groups (src/smoke/checks/*.ts) export their CheckDefs; the engine orders, runs and reports them.
 */
import type { VfHandle } from '../open/types.js';
import type { ResetResult, VfApi } from '../vf/types.js';
import type { PfSide, PfVfView } from './pf-side.js';
import type { PendingRestores } from './restores.js';
import type { CheckInfo, Outcome, Table } from './table.js';
import type { LeftChange, SmokeHost, SmokeOptions } from './types.js';

export interface SmokeMacs {
  readonly test: string;
  readonly other: string;
  readonly admin: string;
}

export interface SmokeRun {
  readonly opts: SmokeOptions;
  readonly host: SmokeHost;
  readonly table: Table;
  readonly macs: SmokeMacs;
  /** The VF is the simulated one (`sim[:…]`). */
  readonly isSim: boolean;
  /** Bound for "PF down/up → reset detected, configuration re-applied", ms. */
  readonly resetBoundMs: number;
  /** Message IDs the VF sent, and the PF's replies (from the mailbox trace). */
  readonly sentIds: Set<number>;
  readonly replies: number[][];
  handle: VfHandle | null;
  pf: PfSide | null;
  pfName: string | null;
  /** The PF's view of the VF before the test changed anything. */
  initialView: PfVfView | null;
  /** The first reset's answer (null until reset.answer passed). */
  reset: ResetResult | null;
  /** DCB traffic classes GET_QUEUES reported (0 or 1: none). */
  trafficClasses: number;
  /** pf.trust-off changed a PF setting: pf.restore must put it back. */
  pfTouched: boolean;
  /** What the test leaves changed in the PF's view, with the command that restores it. */
  readonly leftChanged: LeftChange[];
  /** What is changed right now and not put back yet (named when a second Ctrl-C abandons the restore). */
  readonly pending: PendingRestores;
  /** The driver to put the VF back on, when --bind moved it. */
  rebind: { previous: string | null } | null;
}

/** A run once the VF is open: the handle is there. */
export interface OpenRun extends SmokeRun {
  readonly handle: VfHandle;
}

/** A run once the VF is open and reset: the reset's answer is there too. */
export interface HeldRun extends OpenRun {
  readonly reset: ResetResult;
}

export interface CheckDef<R extends SmokeRun = SmokeRun> extends CheckInfo {
  run(run: R): Promise<Outcome>;
  /**
   * A restore step among the checks (pf.restore): once the run is interrupted it still runs when this
   * says there is something to put back; every other check is skipped then.
   */
  restores?(run: R): boolean;
}

/** The VF of a held run. */
export function vfOf(run: HeldRun): VfApi {
  return run.handle.vf;
}
