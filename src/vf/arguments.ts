/**
 * The local checks on what a caller asks of the VF, before anything is sent: MACs, VLAN ids, MACVLAN
 * indexes, xcast mode names (and igb's lack of unicast promiscuous), feature masks, the max frame / MTU window (with its 82599 API 1.0 limit, `ixgbevf_probe`), and the
 * multicast list (how many hashes one SET_MULTICAST carries and what its MSGINFO count says). Each bad value
 * is a typed InvalidArgumentError with a stable code; nothing here touches the device.
 */
import { detailValue, InvalidArgumentError, NotSupportedError, showValue } from '../errors.js';
import { ApiVersion } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { MSGINFO_MASK, MSGINFO_SHIFT } from '../hw/mailbox.js';
import { ETH_FCS_BYTES, ETH_HEADER_BYTES, IXGBEVF_82599_API10_MAX_MTU, LPE_MAX_FRAME, MAX_MULTICAST_LIST, MAX_MULTICAST_PER_MESSAGE, MTU_MIN, VLAN_ID_MAX } from '../hw/messages.js';
import { formatMac, parseMulticastMac, parseUnicastMac } from './mac.js';
import { multicastHash } from './multicast.js';
import { renderRemedies, type Remedy, type RemedyTarget } from './remedy.js';
import { XCAST_MODE_VALUES, type MacBytes, type XcastModeName } from './types.js';

export const ETH_OVERHEAD = ETH_HEADER_BYTES + ETH_FCS_BYTES;
const MAX_MSGINFO = MSGINFO_MASK >>> MSGINFO_SHIFT;

/** A unicast MAC (not multicast, not zero) in the text form everything prints. */
export function checkUnicastMac(mac: string): string {
  return formatMac(parseUnicastMac(mac));
}

export function checkVlan(id: number, on: boolean): void {
  if (!Number.isInteger(id) || id < 0 || id > VLAN_ID_MAX) {
    throw new InvalidArgumentError('ERR_INVALID_VLAN', `invalid VLAN id ${showValue(id)}: expected an integer 0..${VLAN_ID_MAX}`, {
      hint: `give an integer VLAN id 0..${VLAN_ID_MAX}, e.g. vf.setVlan(100, true)`,
      details: { vlan: detailValue(id) },
    });
  }
  if (typeof on !== 'boolean') {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', 'setVlan(id, on): `on` must be a boolean', { hint: `vf.setVlan(${id}, true) adds the VLAN, vf.setVlan(${id}, false) removes it` });
  }
}

/** The MACVLAN index (0..255, it travels in MSGINFO) and the MAC as text (null for index 0). */
export function checkMacvlan(index: number, mac: string | null): string | null {
  if (!Number.isInteger(index) || index < 0 || index > MAX_MSGINFO) {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `invalid MACVLAN index ${showValue(index)}: expected 0..${MAX_MSGINFO}`, {
      hint: `vf.setMacvlan(1, mac) starts the list, 2..${MAX_MSGINFO} add to it, vf.setMacvlan(0, null) clears it`,
    });
  }
  if (index === 0) return null;
  if (mac === null) {
    throw new InvalidArgumentError('ERR_INVALID_MAC', `MACVLAN index ${index} needs a MAC address`, { hint: `vf.setMacvlan(${index}, '02:00:00:00:00:01'), or vf.setMacvlan(0, null) to clear the list` });
  }
  return checkUnicastMac(mac);
}

export function checkXcastMode(mode: XcastModeName): void {
  if (typeof mode !== 'string' || !Object.hasOwn(XCAST_MODE_VALUES, mode)) {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `invalid xcast mode ${showValue(mode)}: expected none, multi, allmulti or promisc`, { hint: "e.g. vf.setXcastMode('allmulti')" });
  }
}

/** igb has no unicast promiscuous mode: its PF supports multicast promiscuous only (igb_set_vf_promisc). */
export function checkIgbXcastMode(mode: XcastModeName): void {
  if (mode === 'promisc') {
    throw new NotSupportedError('unicast promiscuous mode does not exist for igb VFs (the igb PF supports multicast promiscuous only)', {
      hint: 'use xcast mode allmulti',
    });
  }
}

/** A FEATURES_NEGOTIATE mask: a 32-bit unsigned integer. */
export function checkFeatureMask(features: number): void {
  if (!Number.isInteger(features) || features < 0 || features > 0xffffffff) {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `feature mask ${showValue(features)} is not a 32-bit unsigned integer`, { hint: 'give an integer 0..0xffffffff, e.g. vf.negotiateFeatures(0)' });
  }
}

/** Largest max frame this VF may ask for now: 82599 at API 1.0 is limited to MTU 1504 (reference §5.4). */
export function maxFrameLimit(family: FamilyDescriptor, api: ApiVersion): number {
  return family.model === '82599' && api === ApiVersion.V1_0 ? IXGBEVF_82599_API10_MAX_MTU + ETH_OVERHEAD : LPE_MAX_FRAME;
}

function mtuError(message: string, limitFrame: number, details: Record<string, unknown>, target: RemedyTarget, inRange: string): InvalidArgumentError {
  // ixgbevf_probe: an 82599 VF at API 1.0 gets max_mtu ETH_DATA_LEN + ETH_FCS_LEN (1504).
  const remedies: Remedy[] = limitFrame < LPE_MAX_FRAME ? [{ kind: 'vf-step', step: 'negotiate-api' }] : [];
  return new InvalidArgumentError('ERR_INVALID_MTU', limitFrame < LPE_MAX_FRAME ? `${message} (an 82599 VF at mailbox API 1.0 is limited to MTU ${IXGBEVF_82599_API10_MAX_MTU})` : message, {
    hint: remedies.length === 0 ? inRange : renderRemedies(remedies, target),
    details: { ...details, remedies },
  });
}

/** A max frame in (MTU_MIN + 18)..limit: ixgbevf's floor (min_mtu ETH_MIN_MTU), although the PF would take 68. */
export function checkMaxFrame(bytes: number, limit: number, target: RemedyTarget): void {
  const min = MTU_MIN + ETH_OVERHEAD;
  if (!Number.isInteger(bytes) || bytes < min || bytes > limit) {
    throw mtuError(`invalid max frame ${showValue(bytes)}: expected ${min}..${limit} bytes (MTU ${MTU_MIN}..${limit - ETH_OVERHEAD})`, limit, { maxFrame: detailValue(bytes), min, max: limit }, target, `give a max frame in ${min}..${limit} bytes, e.g. vf.setMaxFrame(1518)`);
  }
}

/** An MTU in MTU_MIN..(limit − 18). */
export function checkMtu(mtu: number, limitFrame: number, target: RemedyTarget): void {
  const limit = limitFrame - ETH_OVERHEAD;
  if (!Number.isInteger(mtu) || mtu < MTU_MIN || mtu > limit) {
    throw mtuError(`invalid MTU ${showValue(mtu)}: expected ${MTU_MIN}..${limit}`, limit + ETH_OVERHEAD, { mtu: detailValue(mtu), min: MTU_MIN, max: limit }, target, `give an MTU in ${MTU_MIN}..${limit}, e.g. vf.setMtu(1500)`);
  }
}

/** What one SET_MULTICAST carries for a list of groups. */
export interface MulticastPlan {
  /** MSGINFO: the hashes sent, or on igb above 30 the real count (capped at 255). */
  readonly count: number;
  /** The first 30 groups' 12-bit hashes, per the reset's mc_filter_type. */
  readonly hashes: readonly number[];
  /** More groups than one message carries. */
  readonly over: boolean;
}

export function planMulticast(macs: readonly string[], family: FamilyDescriptor, filterType: number): MulticastPlan {
  if (!Array.isArray(macs)) {
    throw new InvalidArgumentError('ERR_INVALID_MAC', 'the multicast list must be an array of MAC addresses', { hint: "e.g. vf.setMulticast(['01:00:5e:00:00:01']); vf.setMulticast([]) clears the list" });
  }
  if (macs.length > MAX_MULTICAST_LIST) {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `a multicast list of ${macs.length} addresses: at most ${MAX_MULTICAST_LIST} (one message carries ${MAX_MULTICAST_PER_MESSAGE}; the rest only turn on the overflow)`, {
      hint: `pass at most ${MAX_MULTICAST_LIST} groups; to receive every multicast group: vf.setXcastMode('allmulti')`,
    });
  }
  // Every index, holes included (map() would skip a hole and send hash 0 for it).
  const groups: MacBytes[] = [];
  for (let i = 0; i < macs.length; i += 1) groups.push(parseMulticastMac(macs[i] as string));
  const hashes = groups.slice(0, MAX_MULTICAST_PER_MESSAGE).map((g) => multicastHash(g, filterType));
  const over = groups.length > MAX_MULTICAST_PER_MESSAGE;
  const count = family.kind === 'igbvf' && over ? Math.min(groups.length, MAX_MSGINFO) : hashes.length;
  return { count, hashes, over };
}
