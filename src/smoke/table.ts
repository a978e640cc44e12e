/**
 * The smoke table's building blocks: an outcome (pass / fail / skip with a reason), the Table that records
 * outcomes against the list of checks (src/smoke/checks/), the test values, and the small helpers the check
 * groups share.
 */
import { IxgbevfError, NotSupportedError, isIxgbevfError } from '../errors.js';
import type { VfHandle } from '../open/types.js';
import type { PfSide, PfVfView } from './pf-side.js';
import type { SmokeCheck, SmokeGroup, SmokeStatus } from './types.js';

export const TEST_VLAN = 3990;
export const TEST_MTU = 1500;
export const TEST_MULTICAST = ['01:00:5e:00:00:fb', '33:33:00:00:00:fb'];

export type Outcome = { status: SmokeStatus; reason: string; hint?: string; details?: Record<string, unknown>; exitCode?: number };

export const pass = (reason: string, details?: Record<string, unknown>): Outcome => ({ status: 'pass', reason, ...(details ? { details } : {}) });
export const fail = (reason: string, hint?: string, details?: Record<string, unknown>): Outcome => ({
  status: 'fail',
  reason,
  ...(hint === undefined ? {} : { hint }),
  ...(details ? { details } : {}),
});
export const skip = (reason: string, hint?: string): Outcome => ({ status: 'skip', reason, ...(hint === undefined ? {} : { hint }) });

/** A judged failure with no typed error behind it (a wrong value): exit 1. */
export const VALUE_FAILURE_EXIT = 1;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A check's place in the table: id, group, title. */
export interface CheckInfo {
  readonly id: string;
  readonly group: SmokeGroup;
  readonly title: string;
}

export class Table {
  readonly results = new Map<string, SmokeCheck>();
  constructor(
    private readonly checks: readonly CheckInfo[],
    private readonly onCheck?: (c: SmokeCheck) => void,
  ) {}

  record(id: string, outcome: Outcome, ms = 0, err?: IxgbevfError): SmokeCheck {
    const def = this.checks.find((c) => c.id === id);
    if (def === undefined) throw new Error(`unknown smoke check ${id}`);
    const check: SmokeCheck = {
      id,
      group: def.group,
      title: def.title,
      status: outcome.status,
      reason: outcome.reason,
      ...(outcome.hint === undefined ? {} : { hint: outcome.hint }),
      ...(err !== undefined
        ? { error: { code: err.code, message: err.message, exitCode: err.exitCode } }
        : outcome.exitCode !== undefined
          ? { error: { code: 'ERR_ENVIRONMENT', message: outcome.reason, exitCode: outcome.exitCode } }
          : {}),
      ...(outcome.details === undefined ? {} : { details: outcome.details }),
      ms: Math.round(ms),
    };
    this.results.set(id, check);
    this.onCheck?.(check);
    return check;
  }

  /** Runs `fn`; NotSupportedError → skip (the driver's own gating names the API version or family). */
  async run(id: string, fn: () => Promise<Outcome>): Promise<SmokeCheck> {
    const t0 = performance.now();
    try {
      return this.record(id, await fn(), performance.now() - t0);
    } catch (err) {
      const ms = performance.now() - t0;
      if (err instanceof NotSupportedError) return this.record(id, skip(notSupportedReason(err), err.hint), ms);
      if (isIxgbevfError(err)) return this.record(id, fail(err.message, err.hint, Object.keys(err.details).length ? err.details : undefined), ms, err);
      const e = err instanceof Error ? err : new Error(String(err));
      return this.record(id, fail(`unexpected error (a bug): ${e.message}`, 'run again with --verbose and report it with the --json output'), ms);
    }
  }

  has(id: string): boolean {
    return this.results.has(id);
  }

  /** Whether a check failed (an earlier step may have stopped the run). */
  anyFailed(): boolean {
    return [...this.results.values()].some((c) => c.status === 'fail');
  }

  status(id: string): SmokeStatus | undefined {
    return this.results.get(id)?.status;
  }

  /** Skips every check not recorded yet, except those in `except` (left for the release to run). */
  skipRest(reason: string, except: readonly string[] = []): void {
    for (const c of this.checks) if (!this.results.has(c.id) && !except.includes(c.id)) this.record(c.id, skip(reason));
  }

  ordered(): SmokeCheck[] {
    return this.checks.map((c) => this.results.get(c.id)).filter((c): c is SmokeCheck => c !== undefined);
  }
}

/** The driver's gating error as a skip reason; family gating names both families. */
export function notSupportedReason(err: NotSupportedError): string {
  const d = err.details;
  if (typeof d.family === 'string' && typeof d.message === 'string') {
    const theirs = d.family === 'igbvf' ? 'ixgbe' : 'igb';
    const ours = d.family === 'igbvf' ? 'igb' : 'ixgbe';
    return `${theirs}-only: ${d.message} does not exist in the ${ours} family (${String(d.model)} VF)`;
  }
  return err.message;
}

export function familyName(handle: VfHandle): string {
  return `${handle.family.kind === 'igbvf' ? 'igb' : 'ixgbe'} family (${handle.family.model} VF)`;
}

export const sameMac = (a: string | null, b: string | null): boolean => (a ?? null)?.toLowerCase() === (b ?? null)?.toLowerCase();
export const show = (mac: string | null): string => mac ?? 'none';

export function fmtBool(v: boolean | null): string {
  return v === true ? 'on' : v === false ? 'off' : '-';
}

export async function waitForView(pf: PfSide, pred: (v: PfVfView) => boolean, ms = 2000): Promise<PfVfView> {
  const until = Date.now() + ms;
  let v = await pf.view();
  while (!pred(v) && Date.now() < until) {
    await sleep(50);
    v = await pf.view();
  }
  return v;
}
