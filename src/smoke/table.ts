/**
 * The smoke table's building blocks: an outcome (pass / fail / skip with a reason), the Table that records
 * outcomes against the list of checks (src/smoke/checks/), the test values, and the small helpers the check
 * groups share.
 */
import { EnvironmentError, ExitCode, IxgbevfError, NotSupportedError, isIxgbevfError } from '../errors.js';
import type { VfHandle } from '../open/types.js';
import type { PfSide, PfVfView } from './pf-side.js';
import type { SmokeCheck, SmokeGroup, SmokeStatus } from './types.js';

export const TEST_VLAN = 3990;
export const TEST_MTU = 1500;
export const TEST_MULTICAST = ['01:00:5e:00:00:fb', '33:33:00:00:00:fb'];

/** `code` / `exitCode`: a failure's own (default: ERR_ENVIRONMENT when only exitCode is given, else a wrong value: ERR_SMOKE_CHECK_FAILED, exit 1). */
export type Outcome = { status: SmokeStatus; reason: string; hint?: string; details?: Record<string, unknown>; exitCode?: number; code?: string };

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
/** Its code: every failed check has one (`error.code`), a wrong value too. */
export const VALUE_FAILURE_CODE = 'ERR_SMOKE_CHECK_FAILED';
/** A check that threw something untyped: a bug, as the daemon names one. */
export const BUG_CODE = 'ERR_INTERNAL';

/**
 * The run was interrupted (Ctrl-C / SIGTERM, `SmokeOptions.signal`): thrown by a check's wait so that the
 * check ends through its own `finally` (the PF is brought back up, …); the table records it as a skip.
 * ERR_INTERRUPTED, exit 3, as the CLI's other commands report an interruption.
 */
export class SmokeInterrupted extends EnvironmentError {
  constructor() {
    super('ERR_INTERRUPTED', 'interrupted (Ctrl-C / SIGTERM)');
  }
}

/** The exit code of an interrupted run in which no check failed (SmokeInterrupted's). */
export const INTERRUPTED_EXIT = ExitCode.environment;

/** Why a check was not run, or stopped, once the run was interrupted. */
export const NOT_RUN_INTERRUPTED = 'interrupted (Ctrl-C / SIGTERM): not run';
export const STOPPED_INTERRUPTED = 'interrupted (Ctrl-C / SIGTERM) while it ran: stopped, not judged';

/** Throws SmokeInterrupted once `signal` is aborted: before a step that would change the PF. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new SmokeInterrupted();
}

/** A timer; with `signal`, it rejects with SmokeInterrupted at once when the signal is (or gets) aborted. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(new SmokeInterrupted());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new SmokeInterrupted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** A check's place in the table: id, group, title. */
export interface CheckInfo {
  readonly id: string;
  readonly group: SmokeGroup;
  readonly title: string;
}

export class Table {
  readonly results = new Map<string, SmokeCheck>();
  /** An interruption stopped a check or kept one from running (the report says `interrupted`). */
  interrupted = false;
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
        : outcome.exitCode !== undefined || outcome.code !== undefined || outcome.status === 'fail'
          ? {
              error: {
                code: outcome.code ?? (outcome.exitCode !== undefined ? 'ERR_ENVIRONMENT' : VALUE_FAILURE_CODE),
                message: outcome.reason,
                exitCode: outcome.exitCode ?? VALUE_FAILURE_EXIT,
              },
            }
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
      if (err instanceof SmokeInterrupted) {
        this.interrupted = true;
        return this.record(id, skip(STOPPED_INTERRUPTED), ms);
      }
      if (err instanceof NotSupportedError) return this.record(id, skip(notSupportedReason(err), err.hint), ms);
      if (isIxgbevfError(err)) return this.record(id, fail(err.message, err.hint, Object.keys(err.details).length ? err.details : undefined), ms, err);
      const e = err instanceof Error ? err : new Error(String(err));
      return this.record(id, { ...fail(`unexpected error (a bug): ${e.message}`, 'run again with --verbose and report it with the --json output'), code: BUG_CODE }, ms);
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

  /** The run was interrupted before this check: skipped, not run. */
  skipInterrupted(id: string): SmokeCheck {
    this.interrupted = true;
    return this.record(id, skip(NOT_RUN_INTERRUPTED));
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

/** Reads the PF's view until `pred` holds or `ms` pass; with `signal`, an interruption ends the wait (SmokeInterrupted). */
export async function waitForView(pf: PfSide, pred: (v: PfVfView) => boolean, ms = 2000, signal?: AbortSignal): Promise<PfVfView> {
  const until = Date.now() + ms;
  let v = await pf.view();
  while (!pred(v) && Date.now() < until) {
    await sleep(50, signal);
    v = await pf.view();
  }
  return v;
}
