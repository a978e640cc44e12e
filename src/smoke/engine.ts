/**
 * The smoke engine: orders and runs the checks (src/smoke/checks/, one module per group) against one VF,
 * and reports the table. Pure logic over `openVf`, a `PfSide` and injectable host operations, so the whole
 * thing runs against `sim` in unit tests and against a real PF on a host or in the emulated rig. The run
 * stops early when the VF cannot be opened or reset; the release group runs whatever happened.
 *
 * Interruption (`opts.signal`, Ctrl-C / SIGTERM in the CLI): the check that runs ends at its next wait
 * (pf.reset's, the PF-view waits) or when it returns, every check left is skipped as interrupted, and the
 * release steps still run to their end (pf.restore when pf.trust-off changed the PF, release.restore,
 * release.view, release.driver): the host is left as it was. `opts.pending` lists, meanwhile, what is
 * changed and not put back yet.
 *
 * Safety: without `allowPfChanges` / `allowPfReset` nothing on the PF is changed except what a VF may
 * ask for itself (MAC, MTU, VLAN, multicast, xcast), and each of those is put back. Every opt-in change
 * is undone in a `finally`.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { apiName } from '../hw/api.js';
import { bindToVfio, unbindDevice } from '../pci/bind.js';
import { readDriver, requirePciDevice } from '../pci/discovery.js';
import { diagnose } from '../pci/doctor.js';
import { resetAndNegotiate } from '../vf/bring-up.js';
import {
  SMOKE_CHECKS,
  apiCoverage,
  apiVersion,
  configChecks,
  environmentChecks,
  notePendingMac,
  pfChangeChecks,
  pfResetCheck,
  queryChecks,
  releaseDriver,
  releaseRestore,
  releaseViewCheck,
  resetAnswer,
  resetMac,
} from './checks/index.js';
import type { CheckDef, HeldRun, OpenRun, SmokeRun } from './context.js';
import { explainError } from '../daemon/explain.js';
import { MailboxTimeoutError } from '../errors.js';
import { PendingRestores } from './restores.js';
import { INTERRUPTED_EXIT, NOT_RUN_INTERRUPTED, Table, VALUE_FAILURE_EXIT } from './table.js';
import { shellWord } from '../shell-word.js';
import type { SmokeCheck, SmokeHost, SmokeOptions, SmokeReport } from './types.js';

export { SMOKE_CHECKS } from './checks/index.js';

const DEFAULT_RESET_BOUND_MS = 20_000;

function randomLaaMac(): string {
  const b = randomBytes(6);
  b[0] = 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

function defaultMacs(): { test: string; other: string; admin: string } {
  const set = new Set<string>();
  while (set.size < 3) set.add(randomLaaMac());
  const [test, other, admin] = [...set] as [string, string, string];
  return { test, other, admin };
}

function defaultHost(opts: SmokeOptions): SmokeHost {
  const sysfs = opts.sysfs ?? {};
  return {
    requireDevice: async (vf) => void (await requirePciDevice(vf, sysfs)),
    diagnose: (vf) => diagnose(vf, sysfs),
    readDriver: (vf) => readDriver(vf as never, sysfs),
    bind: async (vf) => {
      const r = await bindToVfio(vf, sysfs);
      return { previousDriver: r.previousDriver, changed: r.changed };
    },
    restore: async (vf, driver) => {
      const r = await unbindDevice(vf, { ...sysfs, restore: driver ?? false });
      return { driver: r.driver };
    },
  };
}

/** The checks run while the VF is held and reset, in run order (api.coverage last: it judges every word sent). */
const HELD_CHECKS: readonly CheckDef<HeldRun>[] = [resetMac, apiVersion, ...queryChecks, ...configChecks, ...pfChangeChecks, pfResetCheck, apiCoverage];

/**
 * A PF that did not answer, with the cause and fix the VF commands give (`ixgbevf doctor <vf>` on a real
 * VF, the `pf=silent` key on sim) instead of the mailbox layer's question.
 */
function explainedSilence(err: unknown, run: SmokeRun): unknown {
  return err instanceof MailboxTimeoutError && run.handle !== null ? explainError(err, run.handle, 'reset') : err;
}

/** Runs the smoke test; never throws for a failing check (bad options throw before anything runs). */
export async function runSmoke(opts: SmokeOptions): Promise<SmokeReport> {
  const started = performance.now();
  const table = new Table(SMOKE_CHECKS, opts.onCheck);
  const run: SmokeRun = {
    opts,
    host: opts.host ?? defaultHost(opts),
    table,
    macs: opts.macs ?? defaultMacs(),
    isSim: opts.spec === 'sim' || opts.spec.startsWith('sim:'),
    resetBoundMs: opts.resetBoundMs ?? DEFAULT_RESET_BOUND_MS,
    sentIds: new Set<number>(),
    replies: [],
    handle: null,
    pf: null,
    pfName: opts.pf ?? null,
    initialView: null,
    reset: null,
    trafficClasses: 0,
    pfTouched: false,
    leftChanged: [],
    pending: opts.pending ?? new PendingRestores(),
    rebind: null,
  };
  const signal = opts.signal;
  /**
   * The signal came before the checks ended (the run stopped at a failed open or reset meanwhile, or the
   * check running when it came was the last): the report still says interrupted, as the notice on stderr
   * did, and keeps the failed check's exit code.
   */
  let signalledDuringChecks = false;
  const report = (): SmokeReport => buildReport(run, started, signalledDuringChecks);
  /** Runs a check; once the run is interrupted, skips it instead (a restore step still runs when it has something to put back). */
  async function step<R extends SmokeRun>(check: CheckDef<R>, r: R): Promise<void> {
    if (signal?.aborted === true && check.restores?.(r) !== true) table.skipInterrupted(check.id);
    else await table.run(check.id, () => check.run(r).catch((err: unknown) => Promise.reject(explainedSilence(err, r))));
  }
  const stopped = (why: string): string => (table.interrupted ? NOT_RUN_INTERRUPTED : why);

  // Environment: until the VF is open.
  const [driver, doctor, open, pfView] = environmentChecks;
  await step(driver, run);
  // No device at that address (a typo): doctor and open would only fail again on it.
  const noDevice = table.results.get(driver.id)?.error?.code === 'ERR_DEVICE_NOT_FOUND';
  if (!noDevice) for (const check of [doctor, open]) await step(check, run);
  if (run.handle === null) {
    signalledDuringChecks = signal?.aborted === true;
    table.skipRest(stopped(noDevice ? 'not run: there is no PCI device at that address (env.driver failed)' : 'not run: the VF could not be opened (env.open failed)'));
    await table.run(releaseDriver.id, () => releaseDriver.run(run));
    return report();
  }
  const opened = run as OpenRun;
  try {
    await step(pfView, opened);
    await step(resetAnswer, opened);
    if (run.reset === null) {
      // release.driver still runs (below, once the VF is closed) when --bind moved the VF.
      table.skipRest(stopped('not run: the VF reset failed (reset.answer)'), run.rebind === null ? [] : [releaseDriver.id]);
    } else {
      const held = run as HeldRun;
      notePendingMac(held);
      for (const check of HELD_CHECKS) await step(check, held);
    }
  } finally {
    signalledDuringChecks = signal?.aborted === true;
    // Release: whatever happened above, interrupted or not (these steps get no signal: they run to their end).
    if (run.reset !== null && !table.has(releaseRestore.id)) {
      // A check stopped by Ctrl-C may leave the VF in reset (pf.reset): reset it again, so that it can put its own MAC back.
      if (table.interrupted && opened.handle.vf.needsReset) await resetAndNegotiate(opened.handle.vf).catch(() => undefined);
      await table.run(releaseRestore.id, () => releaseRestore.run(run as HeldRun));
    }
    await opened.handle.close().catch(() => undefined);
    if (run.reset !== null && !table.has(releaseViewCheck.id)) await table.run(releaseViewCheck.id, () => releaseViewCheck.run(run as HeldRun));
    if (!table.has(releaseDriver.id)) await table.run(releaseDriver.id, () => releaseDriver.run(run));
    table.skipRest(stopped('not run: an earlier step stopped the test'));
  }
  return report();
}

/**
 * A failure the check has no fix for (a value the PF got wrong: nothing on this host changes it) gets the
 * next step docs/hardware.md asks for: the run again with the mailbox trace, for the report.
 */
function withReportFix(c: SmokeCheck, spec: string): SmokeCheck {
  if (c.status !== 'fail' || c.hint !== undefined) return c;
  return { ...c, hint: `ixgbevf smoke ${shellWord(spec)} --verbose --json > smoke.json 2> smoke-trace.txt (send both with the PF's dmesg: docs/hardware.md)` };
}

function buildReport(run: SmokeRun, started: number, signalledDuringChecks: boolean): SmokeReport {
  const { opts, table } = run;
  const checks = table.ordered().map((c) => withReportFix(c, opts.spec));
  const summary = {
    passed: checks.filter((c) => c.status === 'pass').length,
    failed: checks.filter((c) => c.status === 'fail').length,
    skipped: checks.filter((c) => c.status === 'skip').length,
  };
  const firstFail = checks.find((c) => c.status === 'fail');
  const interrupted = table.interrupted || signalledDuringChecks;
  const h = run.handle;
  return {
    tool: 'ixgbevf smoke',
    vf: h?.id ?? opts.spec,
    kind: h?.kind ?? (run.isSim ? 'sim' : null),
    model: h?.family.model ?? null,
    familyKind: h?.family.kind ?? null,
    pf: run.pf?.pfName ?? run.pfName,
    vfIndex: h?.vfIndex ?? null,
    api: run.reset === null || h === null ? null : apiName(h.vf.api),
    mode: opts.poll === true ? 'poll' : 'interrupts',
    options: { allowPfChanges: opts.allowPfChanges === true, allowPfReset: opts.allowPfReset === true, bind: opts.bind === true },
    host: { kernel: `${os.type()} ${os.release()}`, node: process.version },
    checks,
    leftChanged: run.leftChanged,
    summary,
    ok: firstFail === undefined && !interrupted,
    ...(interrupted ? { interrupted: true as const } : {}),
    exitCode: firstFail !== undefined ? (firstFail.error?.exitCode ?? VALUE_FAILURE_EXIT) : interrupted ? INTERRUPTED_EXIT : 0,
    durationMs: Math.round(performance.now() - started),
  };
}
