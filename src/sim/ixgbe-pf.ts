/**
 * The stock Linux `ixgbe` PF's mailbox policy (reference §6; checked against ixgbe_sriov.c of 2026
 * net-next and of 6.1; the kernel generation is chosen per PF, src/hw/pf-kernel.ts): `ixgbe_msg_task`,
 * `ixgbe_rcv_msg_from_vf` (its handlers live in ixgbe-handlers.ts), `ixgbe_rcv_ack_from_vf`,
 * `ixgbe_vf_reset_event` / `ixgbe_vf_reset_msg`, and the admin paths that ping VFs or drop CTS.
 * It talks to the VF only through the PF register view of the hardware model, as the Linux PF does.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import type { Clock } from '../io.js';
import { systemClock } from '../io.js';
import { ApiVersion } from '../hw/api.js';
import { DEFAULT_PF_KERNEL, PF_KERNEL_GENERATIONS, newestApiOfPfKernel, type PfKernelGeneration, type PfKernelTable } from '../hw/pf-kernel.js';
import { MAILBOX_WORDS } from '../hw/mailbox.js';
import {
  ETH_FCS_BYTES,
  ETH_FRAME_LEN,
  ETH_HEADER_BYTES,
  IXGBE_MAX_PF_MACVLANS,
  IXGBE_RAR_ENTRIES,
  PF_MAX_MTU,
  PF_MIN_MTU,
  RSS_KEY_BYTES,
  XcastMode,
} from '../hw/messages.js';
import { isZeroMac, ZERO_MAC } from './mac.js';
import type { MailboxHardware } from './mailbox-hw.js';
import { IXGBE_RULES } from './dialects.js';
import { LinuxPfPolicy, checkPortVlan } from './pf-policy.js';
import type { IxgbeVfState, VfLinkState } from './ixgbe-state.js';
import { IXGBE_HANDLERS, apiSets, type ApiSets, type IxgbePfView } from './ixgbe-handlers.js';

export type { IxgbeVfState, VfLinkState } from './ixgbe-state.js';

export interface IxgbeVfConfig {
  adminMac?: string;
  trusted?: boolean;
  portVlan?: number;
  portQos?: number;
  linkState?: VfLinkState;
  rssQueryEnabled?: boolean;
}

export interface LinuxIxgbePfOptions {
  clock?: Clock;
  autoRun?: boolean;
  /** Entries kept in `log`, `sent`, `dmesg` (pf-base.ts DEFAULT_SIM_HISTORY). */
  historyLimit?: number;
  /**
   * The PF's kernel generation (src/hw/pf-kernel.ts): its negotiation table and the messages its
   * ixgbe_sriov.c handles. Default DEFAULT_PF_KERNEL ('newest').
   */
  pfKernel?: PfKernelGeneration;
  /** Newest API the PF accepts, a further cap within the generation (1.3 → accepts 1.0–1.3). Default: the generation's newest. */
  newestApi?: ApiVersion;
  /**
   * DCB on the PF: number of traffic classes (adapter->hw_tcs; 0 = no DCB, default). With DCB the PF
   * refuses SET_VLAN and GET_QUEUES reports TRANS_VLAN = tcs and DEF_QUEUE = the default TC.
   */
  trafficClasses?: number;
  /** The traffic class of the default user priority (netdev_get_prio_tc_map), 0..tcs-1. Default 0. */
  defaultTc?: number;
  /** PF netdev administratively up (default true). Down = RSTI stuck in every VF. */
  pfUp?: boolean;
  /** PF MTU (default 1500). */
  pfMtu?: number;
  /** PF in unicast promiscuous mode (FCTRL.UPE), prerequisite for VF PROMISC (default false). */
  pfPromiscuous?: boolean;
  /** q_per_pool (GET_QUEUES words 1–2). Default 4: Linux's 32-pool VMDq mode, used with ≤ 32 VFs. */
  queuesPerPool?: number;
  /** mc_filter_type in the RESET reply (default 0). */
  mcFilterType?: number;
  /** The PF's `vf-ipsec` private flag (default false). */
  vfIpsec?: boolean;
  /** The watchdog pings all VFs when it sees link up after `interfaceUp` (default true; a 2026 patch proposes removing it). */
  pingOnLinkUp?: boolean;
  /** PF RSS key (40 bytes) for GET_RSS_KEY, read only; default a fixed pattern shared by every PF. */
  rssKey?: Uint8Array;
  /** Per-VF admin settings at start (index = VF). */
  vfConfig?: readonly IxgbeVfConfig[];
}

/**
 * The PF's RSS key when the test gives none: a fixed pattern, one copy shared by every simulated PF (the
 * simulator only reads it, into GET_RSS_KEY replies).
 */
const DEFAULT_RSS_KEY: Uint8Array = Uint8Array.from({ length: RSS_KEY_BYTES }, (_, i) => (i * 29 + 7) & 0xff);

/** IEEE 802.1Qaz: at most 8 traffic classes (MAX_TRAFFIC_CLASS). */
export const MAX_TRAFFIC_CLASSES = 8;

export class LinuxIxgbePf extends LinuxPfPolicy<IxgbeVfState> implements IxgbePfView {
  readonly dialect = 'ixgbe' as const;
  protected readonly rules = IXGBE_RULES;
  protected readonly handlers = IXGBE_HANDLERS;
  readonly pfKernel: PfKernelTable;
  /** The handlers' API lists of this generation (ixgbe-handlers.ts). */
  readonly apis: ApiSets;
  newestApi: ApiVersion;
  /** hw_tcs (0 = no DCB) and the default user priority's TC. */
  trafficClasses: number;
  defaultTc: number;
  pfMtu: number;
  pfPromiscuous: boolean;
  queuesPerPool: number;
  mcFilterType: number;
  vfIpsec: boolean;
  pingOnLinkUp: boolean;
  /** MAXFRS.MFS: raised by SET_LPE, never lowered. */
  maxFrs: number;
  readonly rssKey: Uint8Array;
  /** RAR entries left for VF MACVLAN filters (IXGBE_RAR_ENTRIES − PF MACVLANs − PF − one per VF). */
  readonly macvlanSlots: number;

  constructor(hw: MailboxHardware, opts: LinuxIxgbePfOptions = {}) {
    super(hw, { clock: opts.clock ?? systemClock, autoRun: opts.autoRun ?? true, ...(opts.historyLimit === undefined ? {} : { historyLimit: opts.historyLimit }) });
    if (hw.family.kind !== 'ixgbevf') throw new RangeError('LinuxIxgbePf needs an ixgbe VF family');
    this.pfKernel = PF_KERNEL_GENERATIONS[opts.pfKernel ?? DEFAULT_PF_KERNEL];
    this.apis = apiSets(this.pfKernel);
    if (hw.family.model === 'E610' && !this.pfKernel.drivesE610) {
      throw new RangeError(`the ${this.pfKernel.generation} ixgbe PF does not drive E610`);
    }
    this.newestApi = opts.newestApi ?? newestApiOfPfKernel(this.pfKernel.generation);
    this.trafficClasses = opts.trafficClasses ?? 0;
    this.defaultTc = opts.defaultTc ?? 0;
    if (!Number.isInteger(this.trafficClasses) || this.trafficClasses < 0 || this.trafficClasses > MAX_TRAFFIC_CLASSES) {
      throw new RangeError(`trafficClasses ${this.trafficClasses} out of range 0..${MAX_TRAFFIC_CLASSES}`);
    }
    if (!Number.isInteger(this.defaultTc) || this.defaultTc < 0 || (this.defaultTc > 0 && this.defaultTc >= this.trafficClasses)) {
      throw new RangeError(`defaultTc ${this.defaultTc} is not a traffic class of ${this.trafficClasses}`);
    }
    this.pfMtu = opts.pfMtu ?? 1500;
    this.pfPromiscuous = opts.pfPromiscuous ?? false;
    // ixgbe_set_dcb_sriov_queues: with DCB a pool has 8 queues above 4 TCs, else 4.
    this.queuesPerPool = opts.queuesPerPool ?? (this.trafficClasses > 4 ? 8 : 4);
    this.mcFilterType = opts.mcFilterType ?? 0;
    this.vfIpsec = opts.vfIpsec ?? false;
    this.pingOnLinkUp = opts.pingOnLinkUp ?? true;
    this.maxFrs = this.pfMtu + ETH_HEADER_BYTES + ETH_FCS_BYTES;
    this.rssKey = opts.rssKey ?? DEFAULT_RSS_KEY;
    this.macvlanSlots = IXGBE_RAR_ENTRIES - (IXGBE_MAX_PF_MACVLANS + 1 + hw.vfCount);
    this.up = opts.pfUp ?? true;
    for (let vf = 0; vf < hw.vfCount; vf++) {
      const cfg = opts.vfConfig?.[vf] ?? {};
      const state: IxgbeVfState = {
        cts: false,
        api: ApiVersion.V1_0,
        mac: ZERO_MAC,
        adminMac: false,
        macFilterInstalled: false,
        trusted: cfg.trusted ?? false,
        portVlan: 0,
        portQos: 0,
        vlans: new Set([0]),
        multicastHashes: [],
        macvlans: [],
        xcastMode: XcastMode.NONE,
        maxFrame: undefined,
        rxEnabled: false,
        txEnabled: false,
        linkEnable: this.up,
        linkState: cfg.linkState ?? 'auto',
        rssQueryEnabled: false,
        spoofchk: true,
      };
      if (state.linkState === 'disable') state.linkEnable = false;
      this.vfStates.push(state);
      if (cfg.adminMac !== undefined) this.applyAdminMac(vf, cfg.adminMac);
      if (cfg.portVlan !== undefined && cfg.portVlan !== 0) {
        checkPortVlan(cfg.portVlan, cfg.portQos ?? 0);
        this.applyPortVlan(vf, cfg.portVlan, cfg.portQos ?? 0);
      }
      if (cfg.rssQueryEnabled === true) this.#setQueryRss(vf, true);
    }
    if (!this.up) this.hardwareReset();
  }

  /** 82599 PF (mac type ixgbe_mac_82599EB). */
  get is82599(): boolean {
    return this.hw.family.model === '82599';
  }

  protected override vflreReadOffset(vf: number): number {
    // The 82599 PF reads VFLRE (0x600 / 0x1C0); X540 and later read VFLREC (§6.1).
    if (this.is82599) return this.map.vflre[Math.floor(vf / 32)] ?? this.map.vflre[0] ?? 0;
    return super.vflreReadOffset(vf);
  }

  // ------------------------------------------------------------------------------------------------
  // VF reset (§6.4, §6.5): the policy core (pf-policy.ts) runs msg_task and the reply

  /** ixgbe_vf_reset_event: filters dropped, API back to 1.0 (the MAC is kept). */
  protected vfResetEvent(vf: number): void {
    const st = this.vf(vf);
    st.vlans = new Set([st.portVlan]);
    st.multicastHashes = [];
    st.macFilterInstalled = false;
    st.macvlans = [];
    st.api = ApiVersion.V1_0;
    this.note(`VF ${vf}: reset event (filters dropped, API 1.0)`);
  }

  /** ixgbe_set_vf_rx_tx: VFRE/VFTE follow link_enable; an 82599 with a jumbo PF MTU keeps Rx off (legacy VF). */
  #setVfRxTx(vf: number): void {
    const st = this.vf(vf);
    st.txEnabled = st.linkEnable;
    st.rxEnabled = st.linkEnable;
    if (this.is82599 && this.pfMtu + ETH_HEADER_BYTES > ETH_FRAME_LEN) st.rxEnabled = false;
  }

  /** ixgbe_vf_reset_msg: the reset event, the mailbox memory cleared (ixgbe_vf_clear_mbx), the MAC filter back, Rx/Tx. */
  protected resetMsgState(vf: number): void {
    const st = this.vf(vf);
    this.note(`VF Reset msg received from vf ${vf}`);
    this.vfResetEvent(vf);
    this.clearMailboxMemory(vf, MAILBOX_WORDS);
    if (!isZeroMac(st.mac)) st.macFilterInstalled = true;
    this.#setVfRxTx(vf);
  }

  /** Word 3 of the reset reply: mc_filter_type. */
  protected override resetReplyExtras(reply: number[]): void {
    reply[3] = this.mcFilterType;
  }

  // ------------------------------------------------------------------------------------------------
  // admin knobs (§6.6, §6.7). All serialised with msg_task, like vfs_lock/rtnl in Linux.

  /** ixgbe_ndo_set_vf_mac: the VF's RAR entry follows the admin MAC. */
  protected override adminMacApplied(vf: number, set: boolean): void {
    const st = this.vf(vf);
    st.macFilterInstalled = set;
    if (set) this.note(`setting MAC ${st.mac} on VF ${vf}`);
  }

  /** ixgbe_ndo_set_vf_vlan: the port VLAN replaces VLAN 0 in the pool's filters (and back). */
  protected applyPortVlan(vf: number, vlan: number, qos: number): void {
    const st = this.vf(vf);
    if (st.portVlan !== 0) st.vlans.delete(st.portVlan);
    if (vlan !== 0 || qos !== 0) {
      st.vlans.add(vlan);
      st.vlans.delete(0);
      st.portVlan = vlan;
      st.portQos = qos;
    } else {
      st.vlans.add(0);
      st.portVlan = 0;
      st.portQos = 0;
    }
  }

  /** PF MTU change: `ixgbe_change_mtu` → reinit (down + up) when the PF is up. */
  setMtu(mtu: number): Promise<void> {
    if (!Number.isInteger(mtu) || mtu < PF_MIN_MTU || mtu > PF_MAX_MTU) {
      return Promise.reject(
        new InvalidArgumentError('ERR_INVALID_MTU', `PF MTU ${mtu} out of range`, { hint: `use ${PF_MIN_MTU}..${PF_MAX_MTU}` }),
      );
    }
    return this.serialize(async () => {
      if (this.is82599 && mtu > 1500) this.note('Setting MTU > 1500 will disable legacy VFs');
      this.pfMtu = mtu;
      if (this.up) {
        await this.down();
        await this.#up();
      }
    });
  }

  /** `ixgbe_down`: CTS false + ping 0x100 for every VF, then PF hardware reset (RSTI). */
  protected async down(): Promise<void> {
    if (!this.up) return;
    this.up = false;
    for (let vf = 0; vf < this.vfCount; vf++) {
      this.vf(vf).cts = false;
      await this.#setVfLinkState(vf, this.vf(vf).linkState);
    }
    this.hardwareReset();
    this.note('PF down: hardware reset, RSTI set in every VF');
  }

  /** `ip link set PF up` (`ixgbe_up_complete`): PFRSTD (RSTI clear, RSTD set), then `ixgbe_set_all_vfs` (ping 0x100); then the watchdog's link-up ping. */
  interfaceUp(): Promise<void> {
    return this.serialize(() => this.#up());
  }

  async #up(): Promise<void> {
    if (this.up) return;
    this.up = true;
    this.resetDone();
    for (let vf = 0; vf < this.vfCount; vf++) await this.#setVfLinkState(vf, this.vf(vf).linkState);
    if (this.pingOnLinkUp && this.hw.linkUp) await this.pingAll();
    this.note('PF up: PFRSTD set');
  }

  /** `ixgbe_set_vf_link_state`: link_enable, VFRE/VFTE, CTS false, ping. */
  async #setVfLinkState(vf: number, state: VfLinkState): Promise<void> {
    const st = this.vf(vf);
    st.linkState = state;
    st.linkEnable = state === 'auto' ? this.up : false;
    this.#setVfRxTx(vf);
    st.cts = false;
    await this.ping(vf, this.pingWord(false));
  }

  /** `ip link set PF vf N state auto|disable` ("enable" is not supported by ixgbe). */
  setLinkState(state: VfLinkState | 'enable', vf = 0): Promise<void> {
    return this.serialize(async () => {
      if (state === 'enable') {
        this.note(`NDO set VF ${vf} link state enable - not supported`);
        return;
      }
      await this.#setVfLinkState(vf, state);
    });
  }

  /** Malicious-driver-detection event on a VF: CTS false, ping 0x20000100 (CTS bit set nonetheless, §6.6; ixgbe_check_mdd_event). */
  mddEvent(vf = 0): Promise<void> {
    if (!this.pfKernel.mddRestorePing) {
      return Promise.reject(new NotSupportedError(`the ${this.pfKernel.generation} ixgbe PF has no MDD restore ping (ixgbe_check_mdd_event is newer)`));
    }
    return this.serialize(async () => {
      this.vf(vf).cts = false;
      await this.ping(vf, this.pingWord(true));
      this.note(`Malicious event on VF ${vf}`);
    });
  }

  /** `ip link set PF vf N query_rss on|off` (82599/X540 only). */
  setQueryRss(enabled: boolean, vf = 0): Promise<void> {
    return this.serialize(() => this.#setQueryRss(vf, enabled));
  }

  #setQueryRss(vf: number, enabled: boolean): void {
    if (this.hw.family.model !== '82599' && this.hw.family.model !== 'X540') {
      throw new NotSupportedError(`query_rss is supported only on 82599/X540 PFs, not ${this.hw.family.model}`);
    }
    this.vf(vf).rssQueryEnabled = enabled;
  }

  /** PF unicast promiscuous (FCTRL.UPE). */
  setPromiscuous(on: boolean): Promise<void> {
    return this.serialize(() => {
      this.pfPromiscuous = on;
    });
  }

  /** `ethtool --set-priv-flags PF vf-ipsec on|off`. */
  setVfIpsec(on: boolean): Promise<void> {
    return this.serialize(() => {
      this.vfIpsec = on;
    });
  }

  /** `ip link set PF vf N spoofchk on|off` (no mailbox effect). */
  setSpoofCheck(on: boolean, vf = 0): Promise<void> {
    return this.serialize(() => {
      this.vf(vf).spoofchk = on;
    });
  }
}
