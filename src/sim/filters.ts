/**
 * The filter rules both Linux PFs apply the same way, so each dialect's handler calls one function: the
 * multicast hash list as packed in SET_MULTICAST (two 16-bit halves per word, `ixgbe_set_vf_multicasts`,
 * `igb_set_vf_multicasts`), and a VF VLAN filter added to or removed from the shared VLVF table, refused
 * when the table is full (`ixgbe_set_vf_vlan`, `igb_vlvf_set`).
 */
import type { HandlerResult } from './pf-policy.js';

/** The first `count` hashes of a SET_MULTICAST message (words 1 …). */
export function multicastHashesOf(words: Uint32Array, count: number): number[] {
  const hashes: number[] = [];
  for (let i = 0; i < count; i++) {
    const word = words[1 + (i >> 1)] ?? 0;
    hashes.push(i % 2 === 0 ? word & 0xffff : word >>> 16);
  }
  return hashes;
}

/**
 * Adds or removes VLAN `vid` in `own` (this VF's VLVF entries); a new VLAN needs a free entry among the
 * `capacity` the PF and every VF share (`all`). VLAN 0 removal is a no-op the PF ACKs.
 */
export function changeVlanFilter(vf: number, own: Set<number>, all: readonly { vlans: ReadonlySet<number> }[], add: boolean, vid: number, capacity: number): HandlerResult {
  if (vid === 0 && !add) return { ok: true };
  if (!add) {
    own.delete(vid);
    return { ok: true };
  }
  const inUse = new Set<number>();
  for (const s of all) for (const v of s.vlans) inUse.add(v);
  if (!inUse.has(vid) && inUse.size >= capacity) return { ok: false, reason: `VF ${vf}: no free VLVF entry for VLAN ${vid}` };
  own.add(vid);
  return { ok: true };
}
