/** Family lookup by model name or PCI device ID. */
import type { FamilyDescriptor, VfModel } from './family.js';
import { IGBVF_FAMILIES } from './igbvf.js';
import { IXGBEVF_FAMILIES } from './ixgbevf.js';

export const ALL_FAMILIES: readonly FamilyDescriptor[] = [...IXGBEVF_FAMILIES, ...IGBVF_FAMILIES];

export function familyByModel(model: VfModel): FamilyDescriptor {
  const family = ALL_FAMILIES.find((f) => f.model === model);
  if (family === undefined) throw new RangeError(`unknown VF model ${model}`);
  return family;
}

/** The family for a VF device ID, or undefined when it is not a VF with a hardware mailbox. */
export function familyByDeviceId(deviceId: number): FamilyDescriptor | undefined {
  return ALL_FAMILIES.find((f) => f.deviceId === deviceId);
}

/** Lower-case model names accepted by `sim:family=` (design.md). */
export function familyByName(name: string): FamilyDescriptor | undefined {
  return ALL_FAMILIES.find((f) => f.model.toLowerCase() === name.toLowerCase());
}

export type { FamilyDescriptor, FamilyKind, VfModel } from './family.js';
