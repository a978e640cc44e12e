/**
 * What this driver does when a multicast list is longer than one SET_MULTICAST carries (30 hashes;
 * docs/protocol.md, deliberate difference 12), per family:
 * - ixgbe at API ≥ 1.2: the first 30 are sent and the xcast mode is raised to ALLMULTI (unless it is already
 *   ALLMULTI or PROMISC) → 'allmulti'; if the PF downgrades (untrusted VF → MULTI) → 'truncated'. A later
 *   list of ≤ 30 restores the mode that was in force before.
 * - ixgbe below API 1.2: the first 30 are sent → 'truncated'.
 * - igb: MSGINFO carries the real count (capped at 255) and the igb PF turns on multicast promiscuous for
 *   counts above 30 (`igb_set_vf_multicasts`) → 'allmulti'.
 */
import { ApiVersion, apiAtLeast } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { XcastMode } from '../hw/messages.js';
import { XCAST_MODE_VALUES, type XcastModeName } from './types.js';

export type MulticastOverflow = 'none' | 'allmulti' | 'truncated';

/** The xcast mode the PF last granted, and the one to go back to when an overflow ends. */
export interface XcastMemory {
  granted: XcastModeName | null;
  beforeOverflow: XcastModeName | null;
}

/**
 * After a SET_MULTICAST was ACKed: raises or restores the xcast mode as above (through `setXcast`, which
 * records the granted mode in `memory`) and says what became of the groups beyond 30.
 */
export async function followMulticastOverflow(
  over: boolean,
  family: FamilyDescriptor,
  api: ApiVersion,
  memory: XcastMemory,
  setXcast: (mode: XcastModeName) => Promise<XcastModeName>,
): Promise<MulticastOverflow> {
  if (family.kind === 'igbvf') return over ? 'allmulti' : 'none';
  const canXcast = apiAtLeast(api, ApiVersion.V1_2);
  if (!over) {
    if (memory.beforeOverflow !== null && canXcast) {
      const previous = memory.beforeOverflow;
      memory.beforeOverflow = null;
      await setXcast(previous);
    }
    return 'none';
  }
  if (!canXcast) return 'truncated';
  const current = memory.granted ?? 'multi';
  if (XCAST_MODE_VALUES[current] >= XcastMode.ALLMULTI) return 'allmulti';
  const granted = await setXcast('allmulti');
  memory.beforeOverflow ??= current;
  return XCAST_MODE_VALUES[granted] >= XcastMode.ALLMULTI ? 'allmulti' : 'truncated';
}
