/**
 * The smoke table's building blocks: the list of checks, an outcome (pass / fail / skip with a reason),
 * the Table that records them, and the small helpers the check groups share.
 */
import { IxgbevfError, NotSupportedError, isIxgbevfError } from '../errors.js';
import type { VfHandle } from '../open-types.js';
import type { VfApi } from '../vf/types.js';
import type { PfSide, PfVfView } from './pf-side.js';
import type { SmokeCheck, SmokeGroup, SmokeStatus } from './types.js';

/** Every check, in table order. */
export const SMOKE_CHECKS: readonly { id: string; group: SmokeGroup; title: string }[] = [
  { id: 'env.driver', group: 'environment', title: 'VF bound to vfio-pci' },
  { id: 'env.doctor', group: 'environment', title: 'IOMMU, VFIO, group, permissions (doctor)' },
  { id: 'env.open', group: 'environment', title: 'VF opened (VFIO, BAR0, interrupts)' },
  { id: 'env.pf-view', group: 'environment', title: "PF's view of the VF (ip -j -d link show)" },
  { id: 'reset.answer', group: 'reset', title: 'VF reset answered by the PF' },
  { id: 'reset.mac', group: 'reset', title: "permanent MAC matches the PF's view" },
  { id: 'api.version', group: 'api', title: 'mailbox API negotiated' },
  { id: 'api.coverage', group: 'api', title: 'every operation the API allows tried once' },
  { id: 'query.queues', group: 'queries', title: 'GET_QUEUES' },
  { id: 'query.reta', group: 'queries', title: 'GET_RETA' },
  { id: 'query.rss-key', group: 'queries', title: 'GET_RSS_KEY' },
  { id: 'query.link-state', group: 'queries', title: 'GET_LINK_STATE' },
  { id: 'query.pf-link', group: 'queries', title: 'GET_PF_LINK_STATE' },
  { id: 'query.link-register', group: 'queries', title: 'link as ixgbevf reads it (VFLINKS / STATUS; the PF on E610 at API ≥ 1.6)' },
  { id: 'config.set-mac', group: 'config', title: "set-mac shows in the PF's view, original restored" },
  { id: 'config.macvlan', group: 'config', title: 'extra unicast filter (SET_MACVLAN)' },
  { id: 'config.mtu', group: 'config', title: 'MTU (SET_LPE)' },
  { id: 'config.vlan', group: 'config', title: 'VLAN add/del' },
  { id: 'config.multicast', group: 'config', title: 'multicast list set/clear' },
  { id: 'config.xcast', group: 'config', title: 'xcast mode (granted mode reported)' },
  { id: 'irq.msix', group: 'interrupts', title: 'replies delivered through MSI-X' },
  { id: 'pf.trust-off', group: 'pf-changes', title: 'admin MAC + trust off → set-mac refused with hint' },
  { id: 'pf.trust-on', group: 'pf-changes', title: 'trust on → set-mac accepted' },
  { id: 'pf.restore', group: 'pf-changes', title: 'PF settings restored' },
  { id: 'pf.reset', group: 'pf-reset', title: 'PF down/up → reset detected, configuration re-applied' },
  { id: 'release.restore', group: 'release', title: "PF's view of the VF put back while the VF is held" },
  { id: 'release.view', group: 'release', title: "PF's view after release (reported, not judged)" },
  { id: 'release.driver', group: 'release', title: 'VF driver put back (--bind)' },
];

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

export type WithCheck = VfApi & { checkPfEvents?: () => Promise<{ pfReset: boolean }> };

export class Table {
  readonly results = new Map<string, SmokeCheck>();
  constructor(private readonly onCheck?: (c: SmokeCheck) => void) {}

  record(id: string, outcome: Outcome, ms = 0, err?: IxgbevfError): SmokeCheck {
    const def = SMOKE_CHECKS.find((c) => c.id === id);
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

  status(id: string): SmokeStatus | undefined {
    return this.results.get(id)?.status;
  }

  skipRest(reason: string): void {
    for (const c of SMOKE_CHECKS) if (!this.results.has(c.id)) this.record(c.id, skip(reason));
  }

  ordered(): SmokeCheck[] {
    return SMOKE_CHECKS.map((c) => this.results.get(c.id)).filter((c): c is SmokeCheck => c !== undefined);
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
