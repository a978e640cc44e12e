/**
 * The simulated ixgbe PF's per-VF state (`struct vf_data_storage` in ixgbe.h) as the handlers and the
 * admin paths see it; a leaf module so the PF class and its handlers both import it without a circle.
 */
import type { ApiVersion } from '../hw/api.js';
import type { XcastModeValue } from '../hw/messages.js';

export type VfLinkState = 'auto' | 'disable';

/** The PF's per-VF state (`struct vf_data_storage`), observable by tests. */
export interface IxgbeVfState {
  /** clear_to_send. */
  cts: boolean;
  /** vf_api (wire value). */
  api: ApiVersion;
  /** vf_mac_addresses: the stored MAC ("00:00:00:00:00:00" when none). */
  mac: string;
  /** pf_set_mac: the MAC was set by the administrator (`ip link set PF vf N mac …`). */
  adminMac: boolean;
  /** The VF MAC's RAR (unicast filter) entry is installed. */
  macFilterInstalled: boolean;
  trusted: boolean;
  /** pf_vlan / pf_qos (port VLAN), 0 = none. */
  portVlan: number;
  portQos: number;
  /** VLVF entries of this pool (includes VLAN 0 or the port VLAN re-added at every VF reset). */
  vlans: Set<number>;
  /** vf_mc_hashes (12-bit hashes, at most 30). */
  multicastHashes: number[];
  /** Extra unicast (MACVLAN) filters. */
  macvlans: string[];
  xcastMode: XcastModeValue;
  /** Last max frame accepted by SET_LPE (undefined = never). */
  maxFrame: number | undefined;
  /** VFRE / VFTE bits. */
  rxEnabled: boolean;
  txEnabled: boolean;
  /** link_enable (GET_LINK_STATE answer) and the admin link_state. */
  linkEnable: boolean;
  linkState: VfLinkState;
  rssQueryEnabled: boolean;
  spoofchk: boolean;
}
