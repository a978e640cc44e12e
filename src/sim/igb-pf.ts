/**
 * The simulated Linux `igb` PF (reference §10.3; checked against igb_main.c and e1000_mbx.c, 2024–25): its
 * per-VF state, what a VF reset forgets (igb_vf_reset, igb_vf_reset_event), and the admin paths (MAC, port
 * VLAN, interface down/up, MTU). msg_task is the shared policy core (pf-policy.ts) with igb's rules
 * (dialects.ts: 3-word RESET reply, 1-word replies, the 2-second not-CTS silence window, a PF lock retried
 * 11 × 1 ms, a PF read that keeps the lock); its handlers are igb-handlers.ts.
 */
import { NotSupportedError } from '../errors.js';
import type { Clock } from '../io.js';
import { systemClock } from '../io.js';
import { IGB_NACK_SILENCE_MS, IGB_PF_MAC_FILTERS_RESERVE, IGB_RAR_ENTRIES } from '../hw/messages.js';
import { ZERO_MAC } from './mac.js';
import type { MailboxHardware } from './mailbox-hw.js';
import { IGB_RULES } from './dialects.js';
import type { IgbVfState } from './igb-state.js';
import { IGB_HANDLERS, type IgbPfView } from './igb-handlers.js';
import { LinuxPfPolicy, checkPortVlan } from './pf-policy.js';

export type { IgbVfState } from './igb-state.js';

export interface IgbVfConfig {
  adminMac?: string;
  trusted?: boolean;
  portVlan?: number;
  portQos?: number;
}

export interface LinuxIgbPfOptions {
  clock?: Clock;
  autoRun?: boolean;
  /** Entries kept in `log`, `sent`, `dmesg` (pf-base.ts DEFAULT_SIM_HISTORY). */
  historyLimit?: number;
  pfUp?: boolean;
  pfMtu?: number;
  vfConfig?: readonly IgbVfConfig[];
}

export class LinuxIgbPf extends LinuxPfPolicy<IgbVfState> implements IgbPfView {
  readonly dialect = 'igb' as const;
  protected readonly rules = IGB_RULES;
  protected readonly handlers = IGB_HANDLERS;
  pfMtu: number;
  /** RAR entries left for VF MAC filters (IGB_RAR_ENTRIES − PF − reserve − one per VF). */
  readonly macFilterSlots: number;

  constructor(hw: MailboxHardware, opts: LinuxIgbPfOptions = {}) {
    super(hw, { clock: opts.clock ?? systemClock, autoRun: opts.autoRun ?? true, ...(opts.historyLimit === undefined ? {} : { historyLimit: opts.historyLimit }) });
    if (hw.family.kind !== 'igbvf') throw new RangeError('LinuxIgbPf needs an igb VF family');
    this.pfMtu = opts.pfMtu ?? 1500;
    this.up = opts.pfUp ?? true;
    this.macFilterSlots = IGB_RAR_ENTRIES - (1 + IGB_PF_MAC_FILTERS_RESERVE + hw.vfCount);
    const now = this.clock.now();
    for (let vf = 0; vf < hw.vfCount; vf++) {
      const cfg = opts.vfConfig?.[vf] ?? {};
      this.vfStates.push({
        cts: false,
        mac: ZERO_MAC,
        adminMac: false,
        trusted: cfg.trusted ?? false,
        portVlan: 0,
        portQos: 0,
        vlans: new Set([0]),
        multicastCount: 0,
        multicastHashes: [],
        multicastPromiscFlag: false,
        multicastPromisc: false,
        macFilters: [],
        maxFrame: undefined,
        rxEnabled: false,
        txEnabled: false,
        // igb_vf_configure runs at SR-IOV enable; last_nack starts "long ago" so the first NACK is sent.
        lastNack: now - IGB_NACK_SILENCE_MS - 1,
      });
      if (cfg.adminMac !== undefined) this.applyAdminMac(vf, cfg.adminMac);
      if (cfg.portVlan !== undefined && cfg.portVlan !== 0) {
        checkPortVlan(cfg.portVlan, cfg.portQos ?? 0);
        this.applyPortVlan(vf, cfg.portVlan, cfg.portQos ?? 0);
      }
    }
    if (!this.up) this.hardwareReset();
  }

  /** igb_vf_reset: flags except PF_SET_MAC cleared (CTS too), last_nack = now, VLANs/multicast reset. */
  #vfReset(vf: number): void {
    const st = this.vf(vf);
    st.cts = false;
    st.multicastPromiscFlag = false;
    st.lastNack = this.clock.now();
    st.vlans = new Set([st.portVlan]);
    st.multicastCount = 0;
    st.multicastHashes = [];
    st.multicastPromisc = false;
  }

  /** igb_vf_reset_event (VFLR): MAC forgotten unless admin-set, then igb_vf_reset. */
  protected vfResetEvent(vf: number): void {
    const st = this.vf(vf);
    if (!st.adminMac) st.mac = ZERO_MAC;
    this.#vfReset(vf);
    this.note(`VF ${vf}: reset event (CTS cleared${st.adminMac ? '' : ', MAC forgotten'})`);
  }

  /** igb_vf_reset_msg: igb_vf_reset, then VFTE/VFRE on (the core sets CTS and replies). */
  protected resetMsgState(vf: number): void {
    const st = this.vf(vf);
    this.#vfReset(vf);
    st.txEnabled = true;
    st.rxEnabled = true;
  }

  // ------------------------------------------------------------------------------------------------
  // admin knobs

  /** igb_ndo_set_vf_vlan: the port VLAN joins the VF's filters (the old one leaves); no QoS without a VLAN. */
  protected applyPortVlan(vf: number, vlan: number, qos: number): void {
    const st = this.vf(vf);
    if (st.portVlan !== 0 && st.portVlan !== vlan) st.vlans.delete(st.portVlan);
    st.vlans.add(vlan);
    st.portVlan = vlan;
    st.portQos = vlan === 0 ? 0 : qos;
  }

  /** igb_down → igb_reset: VF flags cleared (CTS false), ping all (0x100), VFRE/VFTE off, hardware reset (RSTI). */
  protected async down(): Promise<void> {
    if (!this.up) return;
    this.up = false;
    for (const st of this.vfStates) {
      st.cts = false;
      st.multicastPromiscFlag = false;
    }
    await this.pingAll();
    for (const st of this.vfStates) st.rxEnabled = st.txEnabled = false;
    this.hardwareReset();
    this.note('PF down: hardware reset, RSTI set in every VF');
  }

  /** igb_up: CTRL_EXT.PFRSTD (RSTI clear, RSTD set); then the watchdog's link-up ping_all. */
  interfaceUp(): Promise<void> {
    return this.serialize(async () => {
      if (this.up) return;
      this.up = true;
      this.resetDone();
      if (this.hw.linkUp) await this.pingAll();
      this.note('PF up: PFRSTD set');
    });
  }

  setMtu(mtu: number): Promise<void> {
    return this.serialize(async () => {
      this.pfMtu = mtu;
      if (this.up) {
        await this.down();
        this.up = true;
        this.resetDone();
        if (this.hw.linkUp) await this.pingAll();
      }
    });
  }

  setLinkState(): Promise<void> {
    return Promise.reject(new NotSupportedError('the igb PF has no per-VF link state knob'));
  }
}
