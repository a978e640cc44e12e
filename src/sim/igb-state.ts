/**
 * The simulated igb PF's per-VF state (`struct vf_data_storage` in igb.h) as the handlers and the admin
 * paths see it; a leaf module so the PF class and its handlers both import it without a circle.
 */

/** The igb PF's per-VF state (`struct vf_data_storage`). */
export interface IgbVfState {
  /** IGB_VF_FLAG_CTS. */
  cts: boolean;
  /** vf_mac_addresses ("00:00:00:00:00:00" when none). */
  mac: string;
  /** IGB_VF_FLAG_PF_SET_MAC. */
  adminMac: boolean;
  trusted: boolean;
  portVlan: number;
  portQos: number;
  vlans: Set<number>;
  /** num_vf_mc_hashes as sent (may exceed 30) and the stored hashes (≤ 30). */
  multicastCount: number;
  multicastHashes: number[];
  /** IGB_VF_FLAG_MULTI_PROMISC (set by SET_PROMISC MULTICAST). */
  multicastPromiscFlag: boolean;
  /** VMOLR.MPME as the PF would program it. */
  multicastPromisc: boolean;
  /** Extra unicast filters (SET_MAC_ADDR with MSGINFO ADD). */
  macFilters: string[];
  /** RLPML programmed by SET_LPE (undefined = never). */
  maxFrame: number | undefined;
  rxEnabled: boolean;
  txEnabled: boolean;
  /** last_nack (clock ms). */
  lastNack: number;
}
