/**
 * The smoke test's data model (`ixgbevf smoke`, issue 6): one table of checks, each pass / fail / skip
 * with a one-line reason, plus the summary. The JSON document printed by `--json` is `SmokeReport`.
 */
import type { OpenVfFn } from '../daemon/daemon.js';
import type { MailboxTraceEvent } from '../open/types.js';
import type { DoctorReport } from '../pci/doctor.js';
import type { SysfsOptions } from '../pci/sysfs.js';
import type { PfSide } from './pf-side.js';
import type { PendingRestores } from './restores.js';
import type { VfHandle } from '../open/types.js';

export type SmokeStatus = 'pass' | 'fail' | 'skip';

export type SmokeGroup = 'environment' | 'reset' | 'api' | 'queries' | 'config' | 'interrupts' | 'pf-changes' | 'pf-reset' | 'release';

export interface SmokeCheck {
  /** Stable id, e.g. `reset.mac`. */
  id: string;
  group: SmokeGroup;
  title: string;
  status: SmokeStatus;
  /** One line: what was seen (pass), what went wrong (fail), or why it was not checked (skip). */
  reason: string;
  /** For failures (and some skips): the command that fixes or enables it. */
  hint?: string;
  /** The typed error behind a failure (`ERR_PF_NACK`, …) and its exit code. */
  error?: { code: string; message: string; exitCode: number };
  details?: Record<string, unknown>;
  ms: number;
}

/** A PF-side setting the smoke test changed and did not put back. */
export interface LeftChange {
  /** `enp1s0f0 vf 0 mac`. */
  what: string;
  now: string | null;
  before: string | null;
  /** The command that puts it back. */
  restore: string;
}

export interface SmokeSummary {
  passed: number;
  failed: number;
  skipped: number;
}

export interface SmokeReport {
  tool: 'ixgbevf smoke';
  vf: string;
  kind: 'sim' | 'vfio' | null;
  /** VF model (`82599`, `82576`, …) and family kind (`ixgbevf` / `igbvf`), once the VF was opened. */
  model: string | null;
  familyKind: string | null;
  pf: string | null;
  vfIndex: number | null;
  /** Negotiated mailbox API ("1.4"), null when the reset failed. */
  api: string | null;
  mode: 'interrupts' | 'poll';
  options: { allowPfChanges: boolean; allowPfReset: boolean; bind: boolean };
  host: { kernel: string; node: string };
  checks: SmokeCheck[];
  /** What the test leaves changed in the PF's view (without --allow-pf-changes), each with its restore command. */
  leftChanged: LeftChange[];
  summary: SmokeSummary;
  /** False when a check failed or the run was interrupted. */
  ok: boolean;
  /**
   * Only in an interrupted run (Ctrl-C / SIGTERM): the check that was running stopped and the checks left
   * were skipped (reason `interrupted …`); the release steps ran.
   */
  interrupted?: true;
  /** 0 when nothing failed; else the exit code of the first failed check; 3 (ERR_INTERRUPTED) for an interrupted run where none failed. */
  exitCode: number;
  durationMs: number;
}

/** Host-side operations (real sysfs by default; tests inject fakes). */
export interface SmokeHost {
  /** Throws ERR_DEVICE_NOT_FOUND when there is no PCI device at `vf` (absent: not checked, as in tests' fake hosts). */
  requireDevice?(vf: string): Promise<void>;
  diagnose(vf: string): Promise<DoctorReport>;
  readDriver(vf: string): Promise<string | null>;
  bind(vf: string): Promise<{ previousDriver: string | null; changed: boolean }>;
  /** Puts the VF back on `driver` (null: leave it unbound), clearing driver_override. */
  restore(vf: string, driver: string | null): Promise<{ driver: string | null }>;
}

export interface SmokeOptions {
  /** The VF: a PCI address or a `sim[:…]` spec. */
  spec: string;
  /** PF netdev (`--pf`); default: the PF's netdev from sysfs. */
  pf?: string;
  poll?: boolean;
  /** Move the VF to vfio-pci for the test and back afterwards. */
  bind?: boolean;
  allowPfChanges?: boolean;
  allowPfReset?: boolean;
  timeoutMs?: number;
  /** Bound for "PF down/up → reset detected and configuration re-applied" (default 20000 ms). */
  resetBoundMs?: number;
  openVf: OpenVfFn;
  onTrace?: (ev: MailboxTraceEvent) => void;
  /** Called after each check (progress output). */
  onCheck?: (check: SmokeCheck) => void;
  sysfs?: SysfsOptions;
  /** Environment for `ip` (PATH). */
  env?: NodeJS.ProcessEnv;
  host?: SmokeHost;
  /** Override the PF side (tests). Default: sim → the simulated PF; VFIO → `ip`. */
  pfSide?: (handle: VfHandle, pfName: string | null, vfIndex: number | null) => PfSide | null;
  /** Locally administered MACs to use (tests); default random 02:xx:… */
  macs?: { test: string; other: string; admin: string };
  /**
   * Aborted on Ctrl-C / SIGTERM: the running check ends at its next wait (or when it returns), the checks
   * left are skipped as interrupted, and the release steps (pf.restore when the PF was changed,
   * release.restore, release.view, release.driver) still run, uninterrupted.
   */
  signal?: AbortSignal;
  /** Filled live with what the run has changed and not put back yet; the engine keeps its own when not given. */
  pending?: PendingRestores;
}
