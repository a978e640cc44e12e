/**
 * The smoke engine: runs every check of issue 6 against one VF and returns the table. Pure logic over
 * `openVf`, a `PfSide` and injectable host operations, so the whole thing runs against `sim` in unit
 * tests and against a real PF on a host or in the emulated rig.
 *
 * Safety: without `allowPfChanges` / `allowPfReset` nothing on the PF is changed except what a VF may
 * ask for itself (MAC, MTU, VLAN, multicast, xcast), and each of those is put back. Every opt-in change
 * is undone in a `finally`.
 */
import { resetAndNegotiate } from '../vf/bring-up.js';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { ExitCode, IxgbevfError, NotSupportedError, PfNackError, isIxgbevfError } from '../errors.js';
import { ApiVersion, NEGOTIATION_ORDER, apiAtLeast, apiName } from '../hw/api.js';
import { messageId } from '../mbx/codec.js';
import type { VfHandle } from '../open-types.js';
import { bindToVfio, unbindDevice } from '../pci/bind.js';
import { readDriver } from '../pci/discovery.js';
import { diagnose } from '../pci/doctor.js';
import type { Remedy } from '../vf/nack.js';
import { Requirements, isPossibleOn } from '../vf/requirements.js';
import type { ResetResult, VfApi, XcastModeName } from '../vf/types.js';
import { ipPfSide, simPfSide, type PfSide, type PfVfView } from './pf-side.js';
import type { LeftChange, SmokeCheck, SmokeGroup, SmokeHost, SmokeOptions, SmokeReport, SmokeStatus } from './types.js';

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

const DEFAULT_RESET_BOUND_MS = 20_000;
const TEST_VLAN = 3990;
const TEST_MTU = 1500;
const TEST_MULTICAST = ['01:00:5e:00:00:fb', '33:33:00:00:00:fb'];

type Outcome = { status: SmokeStatus; reason: string; hint?: string; details?: Record<string, unknown>; exitCode?: number };

const pass = (reason: string, details?: Record<string, unknown>): Outcome => ({ status: 'pass', reason, ...(details ? { details } : {}) });
const fail = (reason: string, hint?: string, details?: Record<string, unknown>): Outcome => ({
  status: 'fail',
  reason,
  ...(hint === undefined ? {} : { hint }),
  ...(details ? { details } : {}),
});
const skip = (reason: string, hint?: string): Outcome => ({ status: 'skip', reason, ...(hint === undefined ? {} : { hint }) });

/** A judged failure with no typed error behind it (a wrong value): exit 1. */
const VALUE_FAILURE_EXIT = 1;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

/** Vf has checkPfEvents() beyond the VfApi contract; use it when present (poll mode detection). */
type WithCheck = VfApi & { checkPfEvents?: () => Promise<{ pfReset: boolean }> };

class Table {
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
function notSupportedReason(err: NotSupportedError): string {
  const d = err.details;
  if (typeof d.family === 'string' && typeof d.message === 'string') {
    const theirs = d.family === 'igbvf' ? 'ixgbe' : 'igb';
    const ours = d.family === 'igbvf' ? 'igb' : 'ixgbe';
    return `${theirs}-only: ${d.message} does not exist in the ${ours} family (${String(d.model)} VF)`;
  }
  return err.message;
}

function familyName(handle: VfHandle): string {
  return `${handle.family.kind === 'igbvf' ? 'igb' : 'ixgbe'} family (${handle.family.model} VF)`;
}

const sameMac = (a: string | null, b: string | null): boolean => (a ?? null)?.toLowerCase() === (b ?? null)?.toLowerCase();
const show = (mac: string | null): string => mac ?? 'none';

/** Runs the smoke test; never throws for a failing check (bad options throw before anything runs). */
export async function runSmoke(opts: SmokeOptions): Promise<SmokeReport> {
  const started = performance.now();
  const table = new Table(opts.onCheck);
  const isSim = opts.spec === 'sim' || opts.spec.startsWith('sim:');
  const host = opts.host ?? defaultHost(opts);
  const macs = opts.macs ?? defaultMacs();
  const resetBoundMs = opts.resetBoundMs ?? DEFAULT_RESET_BOUND_MS;
  const sentIds = new Set<number>();
  const replies: number[][] = [];
  const st = {
    handle: null as VfHandle | null,
    pf: null as PfSide | null,
    pfName: opts.pf ?? null,
    initialView: null as PfVfView | null,
    reset: null as ResetResult | null,
    /** What the test leaves changed in the PF's view, with the command that restores it. */
    leftChanged: [] as LeftChange[],
    /** driver to put the VF back on, when --bind moved it. */
    rebind: null as { previous: string | null } | null,
  };

  const report = (): SmokeReport => {
    const checks = table.ordered();
    const summary = {
      passed: checks.filter((c) => c.status === 'pass').length,
      failed: checks.filter((c) => c.status === 'fail').length,
      skipped: checks.filter((c) => c.status === 'skip').length,
    };
    const firstFail = checks.find((c) => c.status === 'fail');
    const h = st.handle;
    return {
      tool: 'ixgbevf smoke',
      vf: h?.id ?? opts.spec,
      kind: h?.kind ?? (isSim ? 'sim' : null),
      model: h?.family.model ?? null,
      familyKind: h?.family.kind ?? null,
      pf: st.pf?.pfName ?? st.pfName,
      vfIndex: h?.vfIndex ?? null,
      api: st.reset === null || h === null ? null : apiName(h.vf.api),
      mode: opts.poll === true ? 'poll' : 'interrupts',
      options: { allowPfChanges: opts.allowPfChanges === true, allowPfReset: opts.allowPfReset === true, bind: opts.bind === true },
      host: { kernel: `${os.type()} ${os.release()}`, node: process.version },
      checks,
      leftChanged: st.leftChanged,
      summary,
      ok: firstFail === undefined,
      exitCode: firstFail === undefined ? 0 : (firstFail.error?.exitCode ?? VALUE_FAILURE_EXIT),
      durationMs: Math.round(performance.now() - started),
    };
  };

  // 1. Environment ------------------------------------------------------------------------------------
  if (isSim) {
    table.record('env.driver', skip('simulated VF: no PCI device to bind'));
    table.record('env.doctor', skip('simulated VF: no IOMMU/VFIO needed'));
  } else {
    await table.run('env.driver', async () => {
      const driver = await host.readDriver(opts.spec);
      if (driver === 'vfio-pci') return pass('on vfio-pci');
      if (opts.bind !== true) {
        return { ...fail(`the VF is on ${driver ?? 'no driver'}, not vfio-pci`, `ixgbevf bind ${opts.spec} (or pass --bind: moved there for the test and back afterwards)`), exitCode: ExitCode.environment };
      }
      const r = await host.bind(opts.spec);
      st.rebind = { previous: r.previousDriver };
      return pass(`bound to vfio-pci for the test (was ${r.previousDriver ?? 'unbound'}; put back at the end)`, { previousDriver: r.previousDriver });
    });
    await table.run('env.doctor', async () => {
      const r = await host.diagnose(opts.spec);
      const failed = r.checks.filter((c) => c.status === 'fail');
      const warned = r.checks.filter((c) => c.status === 'warn');
      if (failed.length > 0) {
        return {
          ...fail(failed.map((c) => c.message).join('; '), failed.map((c) => c.fix).filter((f) => f !== undefined).join('; ') || undefined, { checks: r.checks }),
          exitCode: ExitCode.environment,
        };
      }
      return pass(`${r.checks.length} doctor checks passed${warned.length > 0 ? `, warnings: ${warned.map((c) => c.message).join('; ')}` : ''}`, { checks: r.checks });
    });
  }

  await table.run('env.open', async () => {
    st.handle = await opts.openVf(opts.spec, {
      ...(opts.poll === true ? { poll: true } : {}),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.sysfs?.sysRoot === undefined ? {} : { sysfsRoot: opts.sysfs.sysRoot }),
      onTrace: (ev) => {
        if (ev.direction === 'vf-to-pf' && ev.words.length > 0) sentIds.add(messageId(ev.words[0]!));
        else if (ev.direction === 'pf-to-vf') replies.push([...ev.words]);
        opts.onTrace?.(ev);
      },
    });
    const h = st.handle;
    return pass(`${h.kind === 'sim' ? 'simulated' : 'VFIO'} ${h.family.model} VF (${h.family.kind}), ${opts.poll === true ? 'polling' : 'interrupts'}`, {
      model: h.family.model,
      family: h.family.kind,
    });
  });

  const handle = st.handle as VfHandle | null;
  if (handle === null) {
    table.skipRest('not run: the VF could not be opened (env.open failed)');
    await putDriverBack(table, host, opts, st.rebind);
    return report();
  }
  const vf = handle.vf;

  try {
    // PF view ---------------------------------------------------------------------------------------
    await table.run('env.pf-view', async () => {
      if (handle.pfName !== null && opts.pf !== undefined && opts.pf !== handle.pfName && handle.kind === 'vfio') {
        return fail(`--pf ${opts.pf} is not this VF's PF: sysfs says ${handle.pfName}`, `drop --pf or use --pf ${handle.pfName}`);
      }
      const pfName = opts.pf ?? handle.pfName;
      st.pfName = pfName;
      if (handle.vfIndex === null) return skip("the VF's index on its PF is unknown: no PF-view checks");
      if (opts.pfSide !== undefined) st.pf = opts.pfSide(handle, pfName, handle.vfIndex);
      else if (handle.sim !== undefined) st.pf = simPfSide(handle.sim, pfName ?? 'sim-pf0', handle.vfIndex);
      else if (pfName !== null) st.pf = ipPfSide(pfName, handle.vfIndex, opts.env === undefined ? {} : { env: opts.env });
      if (st.pf === null) return skip('the PF has no network interface known here: pass --pf <ifname> for the PF-view checks', `ixgbevf smoke ${opts.spec} --pf <ifname>`);
      const v = await st.pf.view();
      st.initialView = v;
      const text = `${st.pf.pfName} vf ${st.pf.vfIndex}: mac ${show(v.mac)}, trust ${fmtBool(v.trust)}, spoofchk ${fmtBool(v.spoofchk)}, link-state ${v.linkState ?? '-'}, port VLAN ${v.portVlan ?? '-'}; PF ${v.pfUp === false ? 'DOWN' : 'up'}`;
      // A down PF is reset.answer's failure (with the fix); the view itself was read fine.
      return pass(v.pfUp === false ? `${text} (its VFs stay in reset until \`ip link set ${st.pf.pfName} up\`)` : text, { view: v });
    });

    // 2. Reset --------------------------------------------------------------------------------------
    await table.run('reset.answer', async () => {
      st.reset = await vf.reset();
      return pass(`PF answered VF_RESET: ${st.reset.permanentMac === null ? 'NACK (no administrator MAC)' : `ACK with MAC ${st.reset.permanentMac}`}, mc_filter_type ${st.reset.mcFilterType}`, {
        permanentMac: st.reset.permanentMac,
        mcFilterType: st.reset.mcFilterType,
      });
    });
    if (st.reset === null) {
      table.skipRest('not run: the VF reset failed (reset.answer)');
      return report();
    }
    const reset0 = st.reset;
    await table.run('reset.mac', async () => {
      const v = st.initialView;
      if (v === null || st.pf === null) return skip("no PF view (see env.pf-view): nothing to compare with");
      if (reset0.permanentMac !== null) {
        return sameMac(reset0.permanentMac, v.mac)
          ? pass(`${reset0.permanentMac} in both`)
          : fail(`the PF gave MAC ${reset0.permanentMac} at reset but its view shows ${show(v.mac)}`, `ip -d link show ${st.pf.pfName}; dmesg | grep -i vf`);
      }
      if (v.mac === null) return pass('no administrator MAC: the reset was NACKed and the view shows none');
      if (handle.family.kind === 'ixgbevf') {
        return pass(`no administrator MAC (reset NACKed); the view shows ${v.mac}, a MAC this VF's previous driver chose (ixgbe keeps it)`);
      }
      return fail(`the reset was NACKed (no administrator MAC) but the PF's view shows ${v.mac}`, `dmesg | grep -i vf`);
    });

    // 3. API ------------------------------------------------------------------------------------------
    // reset.answer, api.version and query.queues are resetAndNegotiate() (src/vf/bring-up.ts) check by
    // check: VF_RESET, API_NEGOTIATE, GET_QUEUES — the stock ixgbevf bring-up, with nothing sent between.
    await table.run('api.version', async () => {
      if (!handle.family.negotiatesApi) {
        await vf.negotiateApi();
        return skip(`ixgbe-only: API negotiation does not exist in the ${familyName(handle)}; the igb PF speaks 1.0`);
      }
      const api = await vf.negotiateApi();
      if (!NEGOTIATION_ORDER.includes(api)) return fail(`the PF agreed to API ${apiName(api)}, which this driver does not offer`);
      const note = api === ApiVersion.V1_5 ? ' (1.5 is the ESX mailbox: a Linux PF never agrees to it)' : '';
      return pass(`API ${apiName(api)}${note}`, { api: apiName(api) });
    });

    // 4. Queries ----------------------------------------------------------------------------------------
    const queuesRaw = (): number[] | undefined => replies.filter((w) => messageId(w[0] ?? 0) === 0x09).at(-1);
    let trafficClasses = 0;
    await table.run('query.queues', async () => {
      const q = await vf.getQueues();
      // ixgbe_get_vf_queues: TRANS_VLAN > 1 is the number of DCB traffic classes, DEF_QUEUE the default TC.
      if (q.transparentVlan > 1) trafficClasses = q.transparentVlan;
      const raw = queuesRaw();
      const rawTx = raw?.[1];
      const rawRx = raw?.[2];
      const details = { ...q, raw: raw?.slice(0, 5) };
      const inRange = (n: number | undefined): boolean => n === undefined || (n >= 1 && n <= 8);
      if (!inRange(rawTx) || !inRange(rawRx)) return fail(`the PF reported ${String(rawTx)} Tx / ${String(rawRx)} Rx queues (expected 1..8)`, undefined, details);
      const tcText = q.transparentVlan > 1 ? `DCB on the PF: ${q.transparentVlan} traffic classes, default TC ${q.defaultQueue}` : `default queue ${q.defaultQueue}, port VLAN/QoS ${q.transparentVlan === 1 ? 'set' : 'none'}`;
      return pass(`${q.txQueues} Tx / ${q.rxQueues} Rx queues, ${tcText}`, details);
    });
    const rssNack = (what: string, err: PfNackError): Outcome => {
      const v = st.initialView;
      if (v?.rssQuery === true) return fail(`${what} NACKed although query_rss is on`, err.hint);
      return skip(`${what}: the PF refused: query_rss is ${v?.rssQuery === false ? 'off' : 'not known to be on'} for this VF (answered, values not checked)`, err.hint);
    };
    await table.run('query.reta', async () => {
      try {
        const reta = await vf.getReta();
        const bad = reta.filter((e) => !Number.isInteger(e) || e < 0 || e > 3);
        if (reta.length !== 128 || bad.length > 0) return fail(`RETA has ${reta.length} entries, ${bad.length} out of range`, undefined, { reta });
        return pass(`128 entries, queues used: ${[...new Set(reta)].sort().join(',')}`, { reta });
      } catch (err) {
        if (err instanceof PfNackError) return rssNack('GET_RETA', err);
        throw err;
      }
    });
    await table.run('query.rss-key', async () => {
      try {
        const key = await vf.getRssKey();
        if (key.length !== 40 || key.every((b) => b === 0)) return fail(`RSS key of ${key.length} bytes${key.every((b) => b === 0) ? ', all zero' : ''}`);
        return pass('40-byte key, not all zero', { key: Buffer.from(key).toString('hex') });
      } catch (err) {
        if (err instanceof PfNackError) return rssNack('GET_RSS_KEY', err);
        throw err;
      }
    });
    await table.run('query.link-state', async () => {
      let enabled: boolean;
      try {
        enabled = await vf.getLinkState();
      } catch (err) {
        // GET_LINK_STATE came to the Linux PF in 2022 (≈ v5.18): older PFs refuse it as unknown at any API.
        if (err instanceof PfNackError) return skip(`the PF refused GET_LINK_STATE at API ${apiName(vf.api)}: PF kernels before ≈ v5.18 do not know it (answered)`, err.hint);
        throw err;
      }
      const admin = st.initialView?.linkState ?? null;
      if (admin === 'disable' && enabled) return fail('the PF says link is enabled but its view says link-state disable');
      if (admin === 'enable' || admin === 'auto') {
        if (!enabled) return fail(`the PF says link is disabled but its view says link-state ${admin}`, `ip link set ${st.pf?.pfName ?? '<pf>'} vf ${handle.vfIndex ?? '<n>'} state auto`);
      }
      return pass(`link ${enabled ? 'enabled' : 'disabled'} by the PF${admin === null ? '' : ` (view: link-state ${admin})`}`);
    });
    await table.run('query.pf-link', async () => {
      try {
        const l = await vf.getPfLinkState();
        return pass(`PF link ${l.up ? `up ${l.speedMbps ?? '?'} Mb/s` : 'down'}`, { link: l });
      } catch (err) {
        if (err instanceof PfNackError && handle.family.model !== 'E610') {
          return skip(`E610-only: the ${handle.family.model} PF refused GET_PF_LINK_STATE as expected (answered)`);
        }
        throw err;
      }
    });
    await table.run('query.link-register', async () => {
      const l = await vf.checkLink();
      return pass(`${l.source}: link ${l.up ? `up ${l.speedMbps ?? '?'} Mb/s` : 'down'}`, { link: l });
    });

    // 5./6. Configuration ---------------------------------------------------------------------------------
    await table.run('config.set-mac', () => setMacCheck(vf, handle, st.pf, st.initialView, reset0, macs.test));
    await table.run('config.macvlan', async () => {
      try {
        await vf.setMacvlan(1, macs.other);
        await vf.setMacvlan(0, null);
        return pass(`added ${macs.other} as an extra filter, then cleared the list`);
      } catch (err) {
        if (err instanceof PfNackError && reset0.permanentMac !== null && st.initialView?.trust !== true) {
          await vf.setMacvlan(0, null).catch(() => undefined);
          return skip('the PF refused (administrator MAC set, VF not trusted): expected; answered', err.hint);
        }
        throw err;
      }
    });
    await table.run('config.mtu', async () => {
      await vf.setMtu(TEST_MTU);
      return pass(`MTU ${TEST_MTU} (max frame ${TEST_MTU + 18}) accepted`);
    });
    await table.run('config.vlan', async () => {
      try {
        await vf.setVlan(TEST_VLAN, true);
      } catch (err) {
        const pv = st.initialView?.portVlan ?? 0;
        if (err instanceof PfNackError && pv > 0) return skip(`the PF refused (port VLAN ${pv} set for this VF): expected; answered`, err.hint);
        if (err instanceof PfNackError && trafficClasses > 1) return skip(`the PF refused (it runs DCB with ${trafficClasses} traffic classes): expected; answered`);
        throw err;
      }
      await vf.setVlan(TEST_VLAN, false);
      return pass(`VLAN ${TEST_VLAN} added and removed`);
    });
    await table.run('config.multicast', async () => {
      const r = await vf.setMulticast(TEST_MULTICAST);
      await vf.setMulticast([]);
      if (r.programmed !== TEST_MULTICAST.length) return fail(`${r.programmed} of ${TEST_MULTICAST.length} multicast addresses programmed`);
      return pass(`${TEST_MULTICAST.join(', ')} set, then the list cleared`);
    });
    await table.run('config.xcast', async () => {
      const trusted = st.initialView?.trust ?? null;
      const granted = await vf.setXcastMode('allmulti');
      const back: XcastModeName = 'multi';
      await vf.setXcastMode(back);
      const rank = { none: 0, multi: 1, allmulti: 2, promisc: 3 } as const;
      if (rank[granted] > rank.allmulti) return fail(`asked allmulti, the PF granted ${granted}`);
      if (trusted === true && granted !== 'allmulti') return fail(`asked allmulti as a trusted VF, the PF granted ${granted}`);
      const why = granted === 'allmulti' ? '' : trusted === false ? ' (VF not trusted)' : '';
      return pass(`asked allmulti, granted ${granted}${why}; set back to ${back}`, { requested: 'allmulti', granted });
    });

    // 7. Interrupts -------------------------------------------------------------------------------------------
    await table.run('irq.msix', () => {
      if (opts.poll === true) return Promise.resolve(skip('--poll: interrupts not used; every other check ran by polling'));
      const c = vf.counters;
      if (c.interrupts > 0) return Promise.resolve(pass(`${c.interrupts} mailbox interrupts for ${c.msgsRx} PF messages`, { counters: { ...c } }));
      return Promise.resolve(
        fail(`no mailbox interrupt arrived during ${c.msgsTx} requests: replies were found by the timer fallback`, 'check MSI-X: grep vfio /proc/interrupts; dmesg | grep -i -e dmar -e vfio; compare with --poll', {
          counters: { ...c },
        }),
      );
    });

    // 8. Opt-in: PF changes -------------------------------------------------------------------------------------
    await pfChangeChecks(table, opts, vf, st.pf, st.initialView, reset0, macs);
    await pfResetCheck(table, opts, vf, st.pf, st.initialView, reset0, macs, resetBoundMs, trafficClasses <= 1);

    // api.coverage: from the words actually sent ------------------------------------------------------------
    table.record('api.coverage', coverage(handle, sentIds, table));
  } finally {
    // 9. Release ------------------------------------------------------------------------------------------------
    if (st.reset !== null && !table.has('release.restore')) {
      await table.run('release.restore', () => restoreView(handle, st.pf, st.initialView, opts.allowPfChanges === true, st.leftChanged));
    }
    await handle.close().catch(() => undefined);
    if (st.reset !== null && !table.has('release.view')) {
      await table.run('release.view', () => releaseView(handle, st.pf, st.initialView, st.reset));
    }
    if (!table.has('release.driver')) await putDriverBack(table, host, opts, st.rebind);
    table.skipRest('not run: an earlier step stopped the test');
  }
  return report();
}

function fmtBool(v: boolean | null): string {
  return v === true ? 'on' : v === false ? 'off' : '-';
}

async function waitForView(pf: PfSide, pred: (v: PfVfView) => boolean, ms = 2000): Promise<PfVfView> {
  const until = Date.now() + ms;
  let v = await pf.view();
  while (!pred(v) && Date.now() < until) {
    await sleep(50);
    v = await pf.view();
  }
  return v;
}

async function setMacCheck(vf: VfApi, handle: VfHandle, pf: PfSide | null, view0: PfVfView | null, reset0: ResetResult, test: string): Promise<Outcome> {
  if (reset0.permanentMac !== null && view0?.trust !== true) {
    // A different MAC would be refused (that is pf.trust-off's business); re-setting the admin MAC must be ACKed.
    await vf.setMac(reset0.permanentMac);
    return skip(`an administrator MAC (${reset0.permanentMac}) is set and the VF is not trusted: the PF refuses other MACs (re-setting ${reset0.permanentMac} was accepted); --allow-pf-changes tests trust off/on`);
  }
  await vf.setMac(test);
  if (pf === null) {
    if (reset0.permanentMac !== null) await vf.setMac(reset0.permanentMac);
    return skip(`set-mac ${test} accepted, but there is no PF view to look at (--pf)`);
  }
  const held = await waitForView(pf, (v) => sameMac(v.mac, test));
  if (!sameMac(held.mac, test)) return fail(`set-mac ${test} was ACKed but the PF's view shows ${show(held.mac)}`, `ip -d link show ${pf.pfName}; dmesg | grep -i vf`);
  const original = reset0.permanentMac ?? view0?.mac ?? null;
  if (original === null) {
    const keeps = handle.family.kind === 'ixgbevf' ? `ixgbe keeps showing ${test} after release until the VF's next driver sets its own MAC` : 'igb forgets it when the VF is released';
    return pass(`${test} appeared in the PF's view while held; there was no original MAC to put back (${keeps})`, { test });
  }
  await vf.setMac(original);
  const after = await waitForView(pf, (v) => sameMac(v.mac, original));
  if (!sameMac(after.mac, original)) return fail(`${test} appeared, but restoring ${original} left the view at ${show(after.mac)}`, `ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${original}`);
  return pass(`${test} appeared in the PF's view while held; ${original} restored`, { test, original });
}

async function pfChangeChecks(
  table: Table,
  opts: SmokeOptions,
  vf: VfApi,
  pf: PfSide | null,
  view0: PfVfView | null,
  reset0: ResetResult,
  macs: { test: string; other: string; admin: string },
): Promise<void> {
  const ids = ['pf.trust-off', 'pf.trust-on', 'pf.restore'];
  if (opts.allowPfChanges !== true) {
    for (const id of ids) table.record(id, skip('opt-in: changes PF settings (admin MAC, trust); run with --allow-pf-changes'));
    return;
  }
  if (pf === null || view0 === null) {
    for (const id of ids) table.record(id, skip('no PF view (see env.pf-view): pass --pf <ifname>'));
    return;
  }
  const original = { adminMac: reset0.permanentMac, trust: view0.trust ?? false, viewMac: view0.mac };
  let touched = false;
  try {
    await table.run('pf.trust-off', async () => {
      touched = true;
      await pf.setAdminMac(macs.admin);
      await pf.setTrust(false);
      const r = await resetAndNegotiate(vf);
      if (!sameMac(r.permanentMac, macs.admin)) return fail(`after \`ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${macs.admin}\` the reset gave ${show(r.permanentMac)}`);
      try {
        await vf.setMac(macs.other);
      } catch (err) {
        if (err instanceof PfNackError) {
          const remedies = Array.isArray(err.details.remedies) ? (err.details.remedies as Remedy[]) : [];
          const namesTrust = remedies.some((x) => x.kind === 'pf-vf' && x.setting === 'trust' && x.value === 'on');
          if (err.hint === undefined || !namesTrust) return fail(`refused, but the fix does not name trust on: ${err.hint ?? 'none'}`);
          return pass(`set-mac ${macs.other} refused (admin MAC ${macs.admin}, trust off); hint: ${err.hint}`, { hint: err.hint });
        }
        throw err;
      }
      return fail(`the PF accepted set-mac ${macs.other} although admin MAC ${macs.admin} is set and trust is off`, `dmesg | grep -i vf`);
    });
    await table.run('pf.trust-on', async () => {
      try {
        await pf.setTrust(true);
      } catch (err) {
        if (err instanceof NotSupportedError) return skip(`the PF does not support trust: ${err.message}`);
        throw err;
      }
      await resetAndNegotiate(vf); // a trust change drops clear-to-send on ixgbe
      await vf.setMac(macs.other);
      const v = await waitForView(pf, (x) => sameMac(x.mac, macs.other));
      if (!sameMac(v.mac, macs.other)) return fail(`trusted set-mac ${macs.other} ACKed but the view shows ${show(v.mac)}`);
      return pass(`trusted: set-mac ${macs.other} accepted over admin MAC ${macs.admin}, shown in the PF's view`);
    });
  } finally {
    if (touched) {
      await table.run('pf.restore', () => restorePf(vf, pf, original));
    } else if (!table.has('pf.restore')) {
      table.record('pf.restore', skip('nothing was changed'));
    }
  }
}

async function restorePf(vf: VfApi, pf: PfSide, original: { adminMac: string | null; trust: boolean; viewMac: string | null }): Promise<Outcome> {
  const errors: string[] = [];
  await pf.setTrust(original.trust).catch((e: unknown) => {
    if (!(e instanceof NotSupportedError)) errors.push((e as Error).message);
  });
  await pf.setAdminMac(original.adminMac).catch((e: unknown) => errors.push((e as Error).message));
  let r: ResetResult | null = null;
  try {
    r = await resetAndNegotiate(vf);
    // Put back a MAC the VF (not the admin) had chosen.
    if (original.adminMac === null && original.viewMac !== null) await vf.setMac(original.viewMac);
  } catch (e) {
    errors.push(`VF re-reset: ${(e as Error).message}`);
  }
  const want = original.adminMac ?? original.viewMac;
  const v = await waitForView(pf, (x) => sameMac(x.mac, want) && (x.trust === null || x.trust === original.trust));
  const trustOk = v.trust === null || v.trust === original.trust;
  const macOk = sameMac(v.mac, want);
  const text = `trust ${fmtBool(v.trust)}, mac ${show(v.mac)}`;
  const fix = `ip link set ${pf.pfName} vf ${pf.vfIndex} trust ${original.trust ? 'on' : 'off'}; ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${original.adminMac ?? '00:00:00:00:00:00'}`;
  if (errors.length > 0 || !trustOk || !macOk) {
    return fail(`not fully restored: ${text} (wanted trust ${original.trust ? 'on' : 'off'}, mac ${show(want)})${errors.length ? `; ${errors.join('; ')}` : ''}`, fix);
  }
  return pass(`restored: ${text}${r !== null ? `; reset gives ${show(r.permanentMac)}` : ''}`);
}

async function pfResetCheck(
  table: Table,
  opts: SmokeOptions,
  vf: VfApi,
  pf: PfSide | null,
  view0: PfVfView | null,
  reset0: ResetResult,
  macs: { test: string; other: string; admin: string },
  boundMs: number,
  /** false when the PF runs DCB (it refuses every VF VLAN, ixgbe_set_vf_vlan_msg). */
  vlansAllowed: boolean,
): Promise<void> {
  if (opts.allowPfReset !== true) {
    table.record('pf.reset', skip('opt-in: takes the PF interface down and up (traffic stops); run with --allow-pf-reset'));
    return;
  }
  if (pf === null || view0 === null) {
    table.record('pf.reset', skip('no PF view (see env.pf-view): pass --pf <ifname>'));
    return;
  }
  await table.run('pf.reset', async () => {
    const canSetMac = reset0.permanentMac === null || view0.trust === true;
    const apply = async (): Promise<void> => {
      if (canSetMac) await vf.setMac(macs.test);
      await vf.setMtu(TEST_MTU);
      const pv = view0.portVlan ?? 0;
      if (pv === 0 && vlansAllowed) await vf.setVlan(TEST_VLAN, true);
      await vf.setMulticast(TEST_MULTICAST);
    };
    const cleanup = async (): Promise<void> => {
      if ((view0.portVlan ?? 0) === 0 && vlansAllowed) await vf.setVlan(TEST_VLAN, false).catch(() => undefined);
      await vf.setMulticast([]).catch(() => undefined);
      const original = reset0.permanentMac ?? view0.mac;
      if (canSetMac && original !== null) await vf.setMac(original).catch(() => undefined);
    };
    await resetAndNegotiate(vf);
    await apply();
    let seen = false;
    const onReset = (): void => {
      seen = true;
    };
    vf.on('pf-reset', onReset);
    const v = vf as WithCheck;
    const detected = async (): Promise<boolean> => {
      if (seen || vf.needsReset) return true;
      if (typeof v.checkPfEvents === 'function') {
        const r = await v.checkPfEvents().catch(() => ({ pfReset: false }));
        if (r.pfReset) return true;
      }
      return seen || vf.needsReset;
    };
    let down = false;
    try {
      const t0 = performance.now();
      await pf.interfaceDown();
      down = true;
      let detectMs: number | null = null;
      while (performance.now() - t0 < 5000) {
        if (await detected()) {
          detectMs = performance.now() - t0;
          break;
        }
        await sleep(20);
      }
      await pf.interfaceUp();
      down = false;
      const tUp = performance.now();
      let attempts = 0;
      let lastErr: unknown = null;
      let recovered = false;
      while (performance.now() - tUp < boundMs) {
        attempts += 1;
        try {
          await resetAndNegotiate(vf);
          await apply();
          recovered = true;
          break;
        } catch (err) {
          lastErr = err;
          if (!isIxgbevfError(err) || err.exitCode !== 4) throw err;
          await sleep(200);
        }
      }
      const recoverMs = performance.now() - tUp;
      const details = { detectMs: detectMs === null ? null : Math.round(detectMs), recoverMs: Math.round(recoverMs), attempts, boundMs };
      if (detectMs === null) return fail(`the PF went down but the VF saw no reset within 5 s (no RSTI/RSTD, no ping)`, 'dmesg | grep -i vf', details);
      if (!recovered) {
        return fail(`reset detected after ${Math.round(detectMs)} ms, but the configuration was not re-applied within ${boundMs} ms: ${(lastErr as Error | null)?.message ?? ''}`, `ip link show ${pf.pfName} (up, carrier?); dmesg`, details);
      }
      if (canSetMac) {
        const after = await waitForView(pf, (x) => sameMac(x.mac, macs.test));
        if (!sameMac(after.mac, macs.test)) return fail(`re-applied, but the PF's view shows ${show(after.mac)} instead of ${macs.test}`, undefined, details);
      }
      return pass(`reset detected after ${Math.round(detectMs)} ms; configuration (MAC, MTU, VLAN, multicast) re-applied ${Math.round(recoverMs)} ms after the PF came up (${attempts} attempt${attempts === 1 ? '' : 's'}, bound ${boundMs} ms)`, details);
    } finally {
      vf.off('pf-reset', onReset);
      if (down) await pf.interfaceUp().catch(() => undefined);
      if (!vf.needsReset) await cleanup();
    }
  });
}

function coverage(handle: VfHandle, sent: Set<number>, table: Table): Outcome {
  const vf = handle.vf;
  const fam = handle.family;
  const allowed = Object.values(Requirements).filter((r) => r.name !== 'UPDATE_XCAST_MODE promisc' && r.kinds.includes(fam.kind) && fam.messages.has(r.id) && isPossibleOn(r, fam) && apiAtLeast(vf.api, r.minApi));
  const tried = allowed.filter((r) => sent.has(r.id)).map((r) => r.name);
  const missing = allowed.filter((r) => !sent.has(r.id)).map((r) => r.name);
  const notAllowed = Object.values(Requirements)
    .filter((r) => !allowed.includes(r) && r.name !== 'UPDATE_XCAST_MODE promisc')
    .map((r) => `${r.name} (${!r.kinds.includes(fam.kind) || !fam.messages.has(r.id) ? `not in the ${fam.kind === 'igbvf' ? 'igb' : 'ixgbe'} family` : !isPossibleOn(r, fam) ? `never granted on ${fam.model}` : `needs API ≥ ${apiName(r.minApi)}`})`);
  const details = { api: apiName(vf.api), tried, missing, notAllowed, notImplemented: fam.kind === 'ixgbevf' ? ['IPSEC_ADD', 'IPSEC_DEL'] : [] };
  if (missing.length > 0) {
    const stopped = SMOKE_CHECKS.some((c) => table.status(c.id) === 'fail');
    return stopped
      ? skip(`not every allowed operation was reached (an earlier check failed): ${missing.join(', ')} not tried`)
      : fail(`allowed at API ${apiName(vf.api)} but never sent: ${missing.join(', ')}`, undefined, details);
  }
  return pass(`${tried.length} operations tried at API ${apiName(vf.api)}: ${tried.join(', ')}${notAllowed.length > 0 ? `; not allowed: ${notAllowed.join(', ')}` : ''}`, details);
}

/**
 * Puts the PF's view of the VF back while the VF is still held. The only PF-view knob the default checks
 * touch is the VF's MAC: ixgbe keeps a VF's stored MAC after the VF is released (ixgbe_vf_reset_event
 * keeps vf_mac_addresses), so a test MAC set where there was none stays in `ip link show` for good; igb
 * forgets a MAC the VF set when the VF is released (igb_vf_reset_event). A MAC the VF had chosen before
 * is put back by the VF itself; "no MAC" can only be put back from the PF
 * (`ip link set <pf> vf <n> mac 00:00:00:00:00:00`, ixgbe_ndo_set_vf_mac): with --allow-pf-changes the
 * test does it, without it the summary names it.
 */
async function restoreView(handle: VfHandle, pf: PfSide | null, view0: PfVfView | null, allowPfChanges: boolean, left: LeftChange[]): Promise<Outcome> {
  if (pf === null || view0 === null) return skip('no PF view (see env.pf-view): nothing to compare with');
  const vf = handle.vf;
  let v = await pf.view();
  if (sameMac(v.mac, view0.mac)) return pass(`mac ${show(v.mac)} as before the test`);
  if (handle.family.kind === 'igbvf') {
    return pass(`mac ${show(v.mac)} while held (was ${show(view0.mac)}); igb forgets a MAC the VF set when the VF is released`);
  }
  if (view0.mac !== null) {
    // A MAC the VF (not the administrator) had: the VF puts it back itself.
    await vf.setMac(view0.mac);
    v = await waitForView(pf, (x) => sameMac(x.mac, view0.mac));
    if (sameMac(v.mac, view0.mac)) return pass(`mac ${show(v.mac)} put back by the VF`);
  }
  const restore = `ip link set ${pf.pfName} vf ${pf.vfIndex} mac ${view0.mac ?? '00:00:00:00:00:00'}`;
  if (!allowPfChanges && pf.kind === 'sim') {
    return skip(`the simulated PF keeps mac ${show(v.mac)} for this VF after release, as ixgbe does (it had ${show(view0.mac)}); the simulated PF ends with this process, so nothing is left changed`);
  }
  if (!allowPfChanges) {
    left.push({ what: `${pf.pfName} vf ${pf.vfIndex} mac`, now: v.mac, before: view0.mac, restore });
    return skip(`the PF keeps mac ${show(v.mac)} for this VF after release (it had ${show(view0.mac)}); putting that back is a PF change (--allow-pf-changes): \`${restore}\``);
  }
  await pf.setAdminMac(view0.mac);
  v = await waitForView(pf, (x) => sameMac(x.mac, view0.mac));
  if (!sameMac(v.mac, view0.mac)) {
    left.push({ what: `${pf.pfName} vf ${pf.vfIndex} mac`, now: v.mac, before: view0.mac, restore });
    return fail(`\`${restore}\` left the view at mac ${show(v.mac)}`, restore);
  }
  return pass(`mac ${show(v.mac)} put back from the PF (\`${restore}\`)`);
}

async function releaseView(handle: VfHandle, pf: PfSide | null, view0: PfVfView | null, reset: ResetResult | null): Promise<Outcome> {
  if (pf === null) return skip('no PF view (see env.pf-view)');
  // vfio-pci resets the VF (FLR) when the device is released; give the PF a moment to process the VFLR.
  if (handle.kind === 'vfio') await sleep(300);
  const v = await pf.view();
  const admin = reset?.permanentMac ?? null;
  let verdict: string;
  if (handle.kind === 'sim') verdict = 'simulated VF: close() does not reset it';
  else if (handle.family.kind === 'ixgbevf') verdict = `ixgbe keeps the stored MAC across the VF reset (view: ${show(v.mac)})`;
  else {
    // igb forgets a MAC the VF chose on VF reset, and keeps the administrator's.
    verdict = sameMac(v.mac, admin) ? `as igb does on VF reset (MAC ${show(admin)})` : `igb usually shows ${show(admin)} after a VF reset; it shows ${show(v.mac)}`;
  }
  return pass(`reported (not judged): mac ${show(v.mac)}, trust ${fmtBool(v.trust)} (before: mac ${show(view0?.mac ?? null)}, trust ${fmtBool(view0?.trust ?? null)}); ${verdict}`, { before: view0, after: v });
}

async function putDriverBack(table: Table, host: SmokeHost, opts: SmokeOptions, rebind: { previous: string | null } | null): Promise<void> {
  if (rebind === null) {
    table.record('release.driver', skip(opts.bind === true ? 'the VF was already on vfio-pci: nothing to put back' : 'not asked (--bind moves the VF to vfio-pci and back)'));
    return;
  }
  await table.run('release.driver', async () => {
    const r = await host.restore(opts.spec, rebind.previous);
    if (r.driver !== rebind.previous) return fail(`the VF is now on ${r.driver ?? 'no driver'}, not ${rebind.previous ?? 'unbound'}`, rebind.previous === null ? `ixgbevf unbind ${opts.spec}` : `ixgbevf unbind ${opts.spec} --driver ${rebind.previous}`);
    return pass(`back on ${r.driver ?? 'no driver'}`);
  });
}
