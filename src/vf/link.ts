/** Link decoding: VFLINKS (ixgbe), STATUS (igb), GET_PF_LINK_STATE (reference §1.4, §5.4, §10.1), and which of them a VF trusts. */
import { ApiVersion, apiAtLeast } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { PfLinkSpeed } from '../hw/messages.js';
import type { LinkInfo } from './types.js';

const SPEED_10G = 10000;
const SPEED_100M = 100;
const SPEED_10M = 10;
const SPEED_2_5G = 2500;
const SPEED_5G = 5000;

/** Decodes the family's link register value. */
export function decodeLinkRegister(value: number, family: FamilyDescriptor): LinkInfo {
  const source = family.kind === 'igbvf' ? 'STATUS' : 'VFLINKS';
  const bits = family.link;
  if ((value & bits.up) === 0) return { up: false, speedMbps: null, source };
  if (family.kind === 'igbvf') {
    // STATUS: SPEED_1000 wins over SPEED_100; neither means 10 Mb/s.
    const codes = Object.keys(bits.speeds).map(Number).sort((a, b) => b - a);
    const code = codes.find((c) => c !== 0 && (value & c) === c) ?? 0;
    return { up: true, speedMbps: bits.speeds[code] ?? null, source };
  }
  const code = value & bits.speedMask;
  let speed: number | null = bits.speeds[code] ?? null;
  const nonStandard = bits.nonStandard !== undefined && (value & bits.nonStandard) !== 0;
  if (family.isX550Class && nonStandard) {
    if (speed === SPEED_10G) speed = SPEED_2_5G;
    else if (speed === SPEED_100M) speed = SPEED_5G;
  }
  // The 10M code is "reserved" before X550 (reference §1.4).
  if (speed === SPEED_10M && !family.isX550Class) speed = null;
  return { up: true, speedMbps: speed, source };
}

/** GET_PF_LINK_STATE reply: word 1 = IXGBE_LINK_SPEED_* bit, word 2 = link up. */
export function decodePfLinkState(speedWord: number, upWord: number): LinkInfo {
  const up = upWord !== 0;
  return { up, speedMbps: up ? (PfLinkSpeed[speedWord] ?? null) : null, source: 'GET_PF_LINK_STATE' };
}

/**
 * Where the link comes from, as ixgbevf_check_mac_link_vf decides: an E610 VF at API ≥ 1.6 asks the PF
 * (GET_PF_LINK_STATE) because E610 does not maintain VFLINKS for VFs; every other VF reads VFLINKS (igb:
 * STATUS).
 */
export function linkComesFromPf(family: FamilyDescriptor, api: ApiVersion): boolean {
  return family.model === 'E610' && family.kind === 'ixgbevf' && apiAtLeast(api, ApiVersion.V1_6);
}
