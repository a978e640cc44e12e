/**
 * What the recovery loop of an owned VF tells the log and the watchers: the VF is ready (or recovered)
 * with how long it took and what woke the last attempt, or an attempt failed — routine while the PF is
 * away (`waiting-for-pf`, info), otherwise `recovery-failed` (a warning; an error with its stack for a bug).
 * Each failure is reported once per cause: the caller passes only a changed error code.
 */
import { ExitCode, type IxgbevfError } from '../errors.js';
import type { Logger } from './log.js';
import type { DaemonEvent } from './owned-types.js';
import type { WakeReason } from './pf-signal.js';
import { isTransient, type ApplyFailure } from './reapply.js';

/** Where a VF's recovery is reported. */
export interface RecoveryReportTarget {
  vf: string;
  logger: Logger;
  event(type: DaemonEvent['type'], fields: Record<string, unknown>): void;
  retryMinMs: number;
  retryMaxMs: number;
}

/** A recovery (or the first bring-up) that ended with the VF ready. */
export interface RecoveryOutcome {
  first: boolean;
  api: string;
  attempts: number;
  inMs: number;
  wokenBy: WakeReason | null;
  /** From the PF's signal (that woke this attempt) to the state re-applied: the issue-13 target (≤ 100 ms). */
  afterPfSignalMs: number | undefined;
  mac: string | undefined;
  failures: readonly ApplyFailure[];
}

export function reportRecovered(to: RecoveryReportTarget, o: RecoveryOutcome): void {
  to.logger.log('info', o.first ? 'ready' : 'recovered', {
    vf: to.vf,
    api: o.api,
    attempts: o.attempts,
    inMs: o.inMs,
    wokenBy: o.wokenBy ?? undefined,
    afterPfSignalMs: o.afterPfSignalMs,
    mac: o.mac,
    failed: o.failures.length > 0 ? o.failures.map((f) => f.item) : undefined,
  });
  to.event('recovered', { api: o.api, attempts: o.attempts, inMs: o.inMs, afterPfSignalMs: o.afterPfSignalMs ?? null, initial: o.first, wokenBy: o.wokenBy, failed: o.failures.map((f) => f.item) });
}

/** One failed attempt (`err` as thrown, `e` as the typed error it maps to). */
export function reportAttemptFailed(to: RecoveryReportTarget, err: unknown, e: IxgbevfError): void {
  const every = `${Math.round(to.retryMinMs)}–${Math.round(to.retryMaxMs)} ms`;
  if (isTransient(err)) {
    // The PF is resetting or its interface is down: routine. Wait for its signal.
    to.logger.log('info', 'waiting-for-pf', {
      vf: to.vf,
      code: e.code,
      reason: e.message,
      hint: e.hint,
      note: `recovery resumes when the PF signals it is ready (mailbox interrupt, RSTD, ping); fallback check every ${every}`,
    });
    to.event('waiting-for-pf', { code: e.code, message: e.message, hint: e.hint });
    return;
  }
  to.logger.log(e.exitCode === ExitCode.bug ? 'error' : 'warn', 'recovery-failed', {
    vf: to.vf,
    code: e.code,
    error: e.message,
    hint: e.hint,
    retry: `on the PF's next event, or every ${every} (logged again when the cause changes)`,
    stack: e.exitCode === ExitCode.bug ? (e.cause as Error | undefined)?.stack : undefined,
  });
  to.event('recovery-failed', { code: e.code, message: e.message, hint: e.hint });
}
