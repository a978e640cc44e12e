/**
 * The composition root, `openVf(spec)`: the one place where the simulator, VFIO and the protocol meet. A
 * PCI address (through VFIO) or `sim[:k=v,...]` (the built-in simulated VF) becomes a `VfHandle` with a
 * `Vf` on it. The handle owns the device; `close()` releases it.
 */
import { EnvironmentError } from '../errors.js';
import type { FamilyDescriptor, VfModel } from '../hw/family.js';
import { familyByModel } from '../hw/index.js';
import type { IrqSource, RegisterIo } from '../io.js';
import type { MailboxTraceEvent as MbxTraceEvent } from '../mbx/trace.js';
import { checkOpenOptions, checkSpec } from './arguments.js';
import type { OpenOptions, SimPfControl, SimVfView, VfHandle } from './types.js';
import { classifyVf } from '../pci/classify.js';
import { listNetdevs, readPciDevice } from '../pci/discovery.js';
import { createSimulatedVf, isSimSpec, type SimulatedVf } from '../sim/index.js';
import { Vf } from '../vf/vf.js';
import { VfioDevice } from '../vfio/device.js';

export type { OpenOptions, VfHandle } from './types.js';

/** Opens the VF named by `spec`. Nothing is sent to the PF yet: bring it up with `resetAndNegotiate(handle.vf)`. */
export async function openVf(spec: string, options: OpenOptions = {}): Promise<VfHandle> {
  const name = checkSpec(spec);
  const opts = checkOpenOptions(options);
  return isSimSpec(name) ? openSimulated(name, opts) : openVfio(name, opts);
}

function traceAdapter(options: OpenOptions): ((event: MbxTraceEvent) => void) | undefined {
  const onTrace = options.onTrace;
  if (onTrace === undefined) return undefined;
  return (event) => {
    if (event.kind === 'tx') onTrace({ direction: 'vf-to-pf', words: event.words });
    else if (event.kind === 'rx') onTrace({ direction: 'pf-to-vf', words: event.words });
  };
}

interface VfParts {
  regs: RegisterIo;
  irqs: IrqSource;
  family: FamilyDescriptor;
  pfName: string | null;
  vfIndex: number | null;
  simulated?: boolean;
}

function makeVf(parts: VfParts, options: OpenOptions): Vf {
  const onTrace = traceAdapter(options);
  return new Vf({
    regs: parts.regs,
    irqs: parts.irqs,
    family: parts.family,
    interrupts: options.poll !== true,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(onTrace === undefined ? {} : { onTrace }),
    ...(parts.pfName === null ? {} : { pfName: parts.pfName }),
    ...(parts.vfIndex === null ? {} : { vfIndex: parts.vfIndex }),
    ...(parts.simulated === true ? { simulated: true } : {}),
  });
}

/** The simulated PF's knobs for one sim VF, as `handle.sim` (exported for tests that build their own handles). */
/**
 * The handle of a simulated VF: no device behind it (nothing to reference, no release requests); close()
 * closes the Vf (idempotent), after `onClose` (test openers record it). Test openers pass their own PF name.
 */
export function simHandle(spec: string, sim: SimulatedVf, vf: Vf, pfName = 'sim-pf0', onClose?: () => void): VfHandle {
  return {
    id: spec,
    kind: 'sim',
    family: sim.family,
    pfName,
    vfIndex: sim.vfIndex,
    vf,
    regs: sim.regs,
    sim: simControl(sim),
    onReleaseRequested: () => () => undefined,
    unref: () => undefined,
    ref: () => undefined,
    close: async () => {
      onClose?.();
      vf.close();
    },
  };
}

export function simControl(sim: SimulatedVf): SimPfControl {
  const { pf, vfIndex } = sim;
  return {
    interfaceDown: () => pf.interfaceDown(),
    interfaceUp: () => pf.interfaceUp(),
    setTrust: (on) => pf.setTrust(on, vfIndex),
    setAdminMac: (mac) => pf.setAdminMac(mac, vfIndex),
    vfInfo: (): SimVfView => {
      const state = pf.vf(vfIndex);
      const zero = /^0{2}(:0{2}){5}$/.test(state.mac);
      return { ...state, mac: zero ? null : state.mac, trust: state.trusted, pfUp: pf.up, pfAnswers: !pf.faults.pfSilent };
    },
  };
}

async function openSimulated(spec: string, options: OpenOptions): Promise<VfHandle> {
  const sim = createSimulatedVf(spec);
  const vf = makeVf({ regs: sim.regs, irqs: sim.irqs, family: sim.family, pfName: null, vfIndex: sim.vfIndex, simulated: true }, options);
  return simHandle(spec, sim, vf);
}

/** Family from the PCI IDs; Hyper-V VFs and non-VFs are refused (environment errors, exit 3). */
function familyOf(address: string, ids: { vendor: number; device: number; subsystemVendor: number | null; subsystemDevice: number | null }): FamilyDescriptor {
  const cls = classifyVf(ids);
  const idText = `${ids.vendor.toString(16).padStart(4, '0')}:${ids.device.toString(16).padStart(4, '0')}`;
  if (cls.kind === 'hyperv') {
    throw new EnvironmentError('ERR_HYPERV_VF', `${address} (${idText}) is a Hyper-V VF: it has no hardware mailbox to drive`, {
      hint: 'use the VF with the kernel driver inside the Hyper-V guest (ixgbevf); this tool needs a bare-metal SR-IOV VF',
      details: { address, ids: idText },
    });
  }
  if (cls.model === null) {
    throw new EnvironmentError('ERR_NOT_A_SUPPORTED_VF', `${address} (${idText}) is not an ixgbe or igb Virtual Function`, {
      hint: 'ixgbevf list',
      details: { address, ids: idText },
    });
  }
  return familyByModel(cls.model as VfModel);
}

async function openVfio(spec: string, options: OpenOptions): Promise<VfHandle> {
  const sysfs = options.sysfsRoot === undefined ? {} : { sysRoot: options.sysfsRoot };
  const info = await readPciDevice(spec, sysfs);
  const family = familyOf(info.address, info);
  const pfName = info.physfn === null ? null : ((await listNetdevs(info.physfn, sysfs))[0] ?? null);
  const device = await VfioDevice.open(info.address, {
    interrupts: options.poll !== true,
    ...(options.sysfsRoot === undefined ? {} : { sysfsRoot: options.sysfsRoot }),
  });
  let vf: Vf;
  try {
    vf = makeVf({ regs: device.regs, irqs: device.irqs, family, pfName, vfIndex: info.vfIndex }, options);
  } catch (err) {
    device.close();
    throw err;
  }
  // Registered before the caller's listeners: a call made from theirs already fails with ERR_RELEASED.
  device.on('release-requested', () => vf.released());
  return {
    id: info.address,
    kind: 'vfio',
    family,
    pfName,
    vfIndex: info.vfIndex,
    vf,
    regs: device.regs,
    onReleaseRequested: (listener) => {
      device.on('release-requested', listener);
      return () => device.off('release-requested', listener);
    },
    // Braces: VfioDevice's ref()/unref() return the device, which the handle does not hand out.
    unref: () => {
      device.unref();
    },
    ref: () => {
      device.ref();
    },
    close: async () => {
      vf.close();
      device.close();
    },
  };
}
