/**
 * Classifies raw PCI IDs into VF families, for `doctor` and `list`. The ID constants live in `hw/ids.ts`;
 * this is the only file of `pci/` that looks at them (discovery reports raw IDs).
 */
import {
  E610_HYPERV_SUBSYSTEM_DEVICE_ID,
  HYPERV_VF_DEVICE_IDS,
  IgbVfDeviceId,
  INTEL_VENDOR_ID,
  IxgbeVfDeviceId,
} from '../hw/ids.js';

export type VfKind = 'ixgbevf' | 'igbvf' | 'hyperv' | 'unknown';

export interface VfClass {
  kind: VfKind;
  /** `82599`, `X540`, …, `I350`; null for hyperv/unknown. */
  model: string | null;
}

export interface RawIds {
  vendor: number;
  device: number;
  subsystemDevice?: number | null;
}

export type VfClassifier = (ids: RawIds) => VfClass;

function modelOf(table: Readonly<Record<string, number>>, device: number): string | null {
  return Object.entries(table).find(([, id]) => id === device)?.[0] ?? null;
}

export const classifyVf: VfClassifier = (ids) => {
  if (ids.vendor !== INTEL_VENDOR_ID) return { kind: 'unknown', model: null };
  if (HYPERV_VF_DEVICE_IDS.has(ids.device)) return { kind: 'hyperv', model: null };
  const ixgbe = modelOf(IxgbeVfDeviceId, ids.device);
  if (ixgbe !== null) {
    // E610's Hyper-V VF shares 0x57AD and differs by subsystem device 0x00FF.
    if (ixgbe === 'E610' && ids.subsystemDevice === E610_HYPERV_SUBSYSTEM_DEVICE_ID) return { kind: 'hyperv', model: null };
    return { kind: 'ixgbevf', model: ixgbe };
  }
  const igb = modelOf(IgbVfDeviceId, ids.device);
  if (igb !== null) return { kind: 'igbvf', model: igb };
  return { kind: 'unknown', model: null };
};

/** `8086:10ed` */
export function formatIds(ids: RawIds): string {
  const h = (n: number): string => n.toString(16).padStart(4, '0');
  return `${h(ids.vendor)}:${h(ids.device)}`;
}
