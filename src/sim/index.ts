/**
 * The simulated device: the mailbox hardware model behind a simulated Linux PF (ixgbe, or igb for the
 * 82576/I350 families). `createSimulatedVf` is what `openVf('sim:...')` calls.
 *
 * Several VFs behind one PF: `createSimulatedPf({ vfCount })` and `sim.vf(i)`. Each `createSimulatedVf`
 * call builds its own PF (and hardware) with `vfCount` VFs and hands out VF `vfIndex`; a daemon owning
 * several `sim` VFs therefore gets independent PFs unless it shares one `createSimulatedPf` result.
 */
import type { Clock, IrqSource, RegisterIo } from '../io.js';
import { systemClock } from '../io.js';
import type { ApiVersion } from '../hw/api.js';
import type { FamilyDescriptor, VfModel } from '../hw/family.js';
import { familyByModel } from '../hw/index.js';
import { SimFaults } from './faults.js';
import { LinuxIgbPf } from './igb-pf.js';
import { LinuxIxgbePf } from './ixgbe-pf.js';
import { MailboxHardware } from './mailbox-hw.js';
import { DEFAULT_SIM_SPEC, parseSimSpec, type SimSpec } from './spec.js';

export { SimFaults, type InjectedPing, type PingPlacement } from './faults.js';
export { LinuxIgbPf, type IgbVfState, type IgbVfConfig, type LinuxIgbPfOptions } from './igb-pf.js';
export {
  LinuxIxgbePf,
  type IxgbeVfConfig,
  type IxgbeVfState,
  type LinuxIxgbePfOptions,
  type VfLinkState,
} from './ixgbe-pf.js';
export { MailboxHardware, SimVfPort, pfRegsFor, type MailboxHardwareOptions, type TraceEntry, type VfMailboxState } from './mailbox-hw.js';
export { DEFAULT_SIM_HISTORY, type PfLogEntry, type PfMessageResult, type PfSentEntry } from './pf-base.js';
export { DEFAULT_SIM_SPEC, SIM_FAMILY_NAMES, SIM_SPEC_KEYS, isSimSpec, parseSimSpec, type SimSpec, type SimSpecKey } from './spec.js';
export { VirtualClock } from './clock.js';
export { macFromWords, macToWords } from './mac.js';

export type SimPf = LinuxIxgbePf | LinuxIgbPf;

export interface SimulatedPfOptions extends Partial<SimSpec> {
  /** A `sim:` spec string; explicit fields override it. */
  spec?: string;
  /** VFs behind the PF (default 1). `adminMac`, `trusted`, `portVlan` apply to `vfIndex`. */
  vfCount?: number;
  vfIndex?: number;
  clock?: Clock;
  /** Run the PF's msg_task by itself (default true); false = step with `pf.runPending()`. */
  autoRun?: boolean;
  /** Deliver the VF mailbox interrupt regardless of IVAR_MISC/EIMS (default false: faithful routing). */
  deliverIrqAlways?: boolean;
  /** Delay before the PF handles a doorbell, on `clock` (default 0 = next setImmediate). */
  replyLatencyMs?: number;
  faults?: SimFaults;
  /** Entries the PF keeps in `log`, `sent` and `dmesg`, the newest (default DEFAULT_SIM_HISTORY, 32; Infinity = all). */
  historyLimit?: number;
  /** Record every register access in `hw.trace` (default false). */
  tracing?: boolean;
  /** ixgbe only: PF in promiscuous mode, q_per_pool, mc_filter_type, vf-ipsec, watchdog link-up ping. */
  pfPromiscuous?: boolean;
  queuesPerPool?: number;
  mcFilterType?: number;
  vfIpsec?: boolean;
  pingOnLinkUp?: boolean;
}

export interface SimulatedVf {
  readonly regs: RegisterIo;
  readonly irqs: IrqSource;
  readonly family: FamilyDescriptor;
  readonly pf: SimPf;
  readonly hw: MailboxHardware;
  readonly clock: Clock;
  readonly faults: SimFaults;
  readonly vfIndex: number;
}

export interface SimulatedPf {
  readonly family: FamilyDescriptor;
  readonly pf: SimPf;
  readonly hw: MailboxHardware;
  readonly clock: Clock;
  readonly faults: SimFaults;
  readonly spec: SimSpec;
  /** The VF view (registers + interrupts) of VF `index`. */
  vf(index?: number): SimulatedVf;
}

function resolveSpec(opts: SimulatedPfOptions): SimSpec {
  const base = opts.spec === undefined ? { ...DEFAULT_SIM_SPEC } : parseSimSpec(opts.spec);
  const pick = <K extends keyof SimSpec>(k: K): SimSpec[K] => (opts[k] === undefined ? base[k] : (opts[k] as SimSpec[K]));
  return {
    family: pick('family'),
    adminMac: pick('adminMac'),
    trusted: pick('trusted'),
    newestApi: pick('newestApi'),
    pfUp: pick('pfUp'),
    pfAnswers: pick('pfAnswers'),
    pfMtu: pick('pfMtu'),
    portVlan: pick('portVlan'),
    linkUp: pick('linkUp'),
    rssQuery: pick('rssQuery'),
    pfPromiscuous: opts.pfPromiscuous ?? base.pfPromiscuous,
    pfKernel: pick('pfKernel'),
    trafficClasses: pick('trafficClasses'),
    defaultTc: pick('defaultTc'),
  };
}

export function createSimulatedPf(opts: SimulatedPfOptions = {}): SimulatedPf {
  const spec = resolveSpec(opts);
  const family = familyByModel(spec.family as VfModel);
  const clock = opts.clock ?? systemClock;
  const faults = opts.faults ?? new SimFaults();
  if (opts.replyLatencyMs !== undefined) faults.replyLatencyMs = opts.replyLatencyMs;
  if (!spec.pfAnswers) faults.pfSilent = true;
  const vfCount = opts.vfCount ?? 1;
  const vfIndex = opts.vfIndex ?? 0;
  const hw = new MailboxHardware({
    family,
    vfCount,
    faults,
    linkUp: spec.linkUp,
    ...(opts.deliverIrqAlways === undefined ? {} : { deliverIrqAlways: opts.deliverIrqAlways }),
  });
  hw.tracing = opts.tracing ?? false;
  const vfConfig: { adminMac?: string; trusted?: boolean; portVlan?: number; rssQueryEnabled?: boolean }[] = [];
  vfConfig[vfIndex] = {
    ...(spec.adminMac === null ? {} : { adminMac: spec.adminMac }),
    trusted: spec.trusted,
    portVlan: spec.portVlan,
    ...(spec.rssQuery ? { rssQueryEnabled: true } : {}),
  };
  const common = { clock, autoRun: opts.autoRun ?? true, pfUp: spec.pfUp, pfMtu: spec.pfMtu, vfConfig, ...(opts.historyLimit === undefined ? {} : { historyLimit: opts.historyLimit }) };
  const pf: SimPf =
    family.kind === 'igbvf'
      ? new LinuxIgbPf(hw, common)
      : new LinuxIxgbePf(hw, {
          ...common,
          newestApi: spec.newestApi as ApiVersion,
          pfKernel: spec.pfKernel,
          trafficClasses: spec.trafficClasses,
          defaultTc: spec.defaultTc,
          pfPromiscuous: spec.pfPromiscuous,
          ...(opts.queuesPerPool === undefined ? {} : { queuesPerPool: opts.queuesPerPool }),
          ...(opts.mcFilterType === undefined ? {} : { mcFilterType: opts.mcFilterType }),
          ...(opts.vfIpsec === undefined ? {} : { vfIpsec: opts.vfIpsec }),
          ...(opts.pingOnLinkUp === undefined ? {} : { pingOnLinkUp: opts.pingOnLinkUp }),
        });
  const vf = (index = vfIndex): SimulatedVf => {
    const port = hw.vf(index);
    return { regs: port.regs, irqs: port.irqs, family, pf, hw, clock, faults, vfIndex: index };
  };
  return { family, pf, hw, clock, faults, spec, vf };
}

/** One simulated VF behind its own simulated PF (what `openVf('sim:...')` uses). */
export function createSimulatedVf(opts: SimulatedPfOptions | string = {}): SimulatedVf {
  const o = typeof opts === 'string' ? { spec: opts } : opts;
  return createSimulatedPf(o).vf();
}
export { RawVfMailbox } from './raw-vf.js';
