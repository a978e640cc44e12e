/**
 * The Linux `igb` PF's mailbox dialect (reference §10.3; checked against igb_main.c and e1000_mbx.c,
 * 2024–25): 3-word RESET reply, 1-word replies, no API negotiation (0x08 → NACK), SET_PROMISC 0x06, the
 * 2-second not-CTS silence window, a PF lock retried 11 × 1 ms, and a PF read that keeps the lock
 * (writes ACK|PFU) until the reply (or an explicit unlock) releases it.
 */
import { InvalidArgumentError, NotSupportedError } from '../errors.js';
import type { Clock } from '../io.js';
import { systemClock } from '../io.js';
import { MAILBOX_WORDS, MsgFlag, MSGINFO_MASK, MSGINFO_SHIFT } from '../hw/mailbox.js';
import {
  IGB_MAX_JUMBO_FRAME,
  IGB_MAX_MULTICAST,
  IGB_NACK_SILENCE_MS,
  IGB_PF_LOCK_ATTEMPTS,
  IGB_PF_LOCK_DELAY_MS,
  IGB_PF_MAC_FILTERS_RESERVE,
  IGB_RAR_ENTRIES,
  IGB_RESET_REPLY_WORDS,
  IGB_VLVF_ENTRIES,
  IgbMacFilter,
  IgbPromisc,
  MsgId,
  VF_RESET_REQUEST_WORD,
  VLAN_ID_MASK,
  VLAN_ID_MAX,
} from '../hw/messages.js';
import { isValidUnicastMac, isZeroMac, macFromWords, macToWords, normalizeMac, ZERO_MAC } from './mac.js';
import type { MailboxHardware } from './mailbox-hw.js';
import { SimPfBase } from './pf-base.js';

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

export interface IgbVfConfig {
  adminMac?: string;
  trusted?: boolean;
  portVlan?: number;
  portQos?: number;
}

export interface LinuxIgbPfOptions {
  clock?: Clock;
  autoRun?: boolean;
  pfUp?: boolean;
  pfMtu?: number;
  vfConfig?: readonly IgbVfConfig[];
}

interface HandlerResult {
  ok: boolean;
  reason?: string;
}
const OK: HandlerResult = { ok: true };

export class LinuxIgbPf extends SimPfBase {
  readonly dialect = 'igb' as const;
  pfMtu: number;
  readonly #vfs: IgbVfState[] = [];
  readonly #macFilterSlots: number;

  constructor(hw: MailboxHardware, opts: LinuxIgbPfOptions = {}) {
    super(hw, { clock: opts.clock ?? systemClock, autoRun: opts.autoRun ?? true });
    if (hw.family.kind !== 'igbvf') throw new RangeError('LinuxIgbPf needs an igb VF family');
    this.pfMtu = opts.pfMtu ?? 1500;
    this.up = opts.pfUp ?? true;
    this.#macFilterSlots = IGB_RAR_ENTRIES - (1 + IGB_PF_MAC_FILTERS_RESERVE + hw.vfCount);
    const now = this.clock.now();
    for (let vf = 0; vf < hw.vfCount; vf++) {
      const cfg = opts.vfConfig?.[vf] ?? {};
      this.#vfs.push({
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
      if (cfg.adminMac !== undefined) this.#setAdminMac(vf, cfg.adminMac);
      if (cfg.portVlan !== undefined && cfg.portVlan !== 0) this.#setPortVlan(vf, cfg.portVlan, cfg.portQos ?? 0);
    }
    if (!this.up) this.hardwareReset();
  }

  vf(index = 0): IgbVfState {
    const s = this.#vfs[index];
    if (s === undefined) throw new RangeError(`no VF ${index}`);
    return s;
  }

  get state(): IgbVfState {
    return this.vf(0);
  }

  /** igb_obtain_mbx_lock_pf: up to 11 attempts, 1 ms apart (on the injected clock). */
  protected async obtainLock(vf: number): Promise<boolean> {
    for (let attempt = 0; attempt < IGB_PF_LOCK_ATTEMPTS; attempt++) {
      if (this.tryLockOnce(vf)) return true;
      await this.clock.sleep(IGB_PF_LOCK_DELAY_MS);
    }
    return false;
  }

  /** time_after(now, last_nack + 2 s). */
  #nackWindowOver(vf: number): boolean {
    return this.clock.now() > this.vf(vf).lastNack + IGB_NACK_SILENCE_MS;
  }

  protected async msgTask(): Promise<void> {
    for (let vf = 0; vf < this.vfCount; vf++) {
      if (this.checkForRst(vf)) this.#vfResetEvent(vf);
      if (this.checkForMsg(vf)) await this.#rcvMsg(vf);
      if (this.checkForAck(vf)) await this.#rcvAck(vf);
    }
  }

  async #rcvAck(vf: number): Promise<void> {
    const st = this.vf(vf);
    if (!st.cts && this.#nackWindowOver(vf)) {
      await this.writeMbx(vf, [MsgFlag.NACK], 'nack');
      st.lastNack = this.clock.now();
    }
  }

  async #rcvMsg(vf: number): Promise<void> {
    const st = this.vf(vf);
    const words = await this.readMbx(vf, MAILBOX_WORDS, true);
    if (words === undefined) {
      st.cts = false;
      if (!this.#nackWindowOver(vf)) {
        this.releaseLock(vf);
        this.record({ vf, word0: 0, id: 0, result: 'dropped', reason: 'Error receiving message from VF (CTS revoked, silent)', reply: [] });
        return;
      }
      // msgbuf is uninitialised in the C code; the simulator answers a bare NACK.
      const reply = [MsgFlag.NACK];
      const delivered = await this.writeMbx(vf, reply, 'reply');
      this.record({ vf, word0: 0, id: 0, result: delivered ? 'NACK' : 'dropped', reason: 'Error receiving message from VF (CTS revoked)', reply });
      return;
    }
    const w0 = words[0] ?? 0;
    const id = this.idOf(w0);
    if (w0 & (MsgFlag.ACK | MsgFlag.NACK)) {
      this.releaseLock(vf);
      this.record({ vf, word0: w0, id, result: 'ignored', reason: 'message already processed (ACK/NACK set)', reply: [] });
      return;
    }
    if (await this.injectedResetMidTransaction(vf, w0)) return;
    if (w0 === VF_RESET_REQUEST_WORD) {
      await this.#resetMsg(vf);
      return;
    }
    if (!st.cts) {
      if (!this.#nackWindowOver(vf)) {
        this.releaseLock(vf);
        this.record({ vf, word0: w0, id, result: 'silent', reason: 'VF not clear to send (within 2 s of last NACK: no reply)', reply: [] });
        return;
      }
      const reply = [(w0 | MsgFlag.NACK) >>> 0];
      await this.answer(vf, w0, reply, 'VF not clear to send');
      return;
    }
    const result = this.#dispatch(vf, words);
    const reply = [((words[0] ?? 0) | MsgFlag.CTS | (result.ok ? MsgFlag.ACK : MsgFlag.NACK)) >>> 0];
    await this.answer(vf, w0, reply, result.reason);
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
  #vfResetEvent(vf: number): void {
    const st = this.vf(vf);
    if (!st.adminMac) st.mac = ZERO_MAC;
    this.#vfReset(vf);
    this.dmesg.push(`VF ${vf}: reset event (CTS cleared${st.adminMac ? '' : ', MAC forgotten'})`);
  }

  async #resetMsg(vf: number): Promise<void> {
    const st = this.vf(vf);
    this.#vfReset(vf);
    st.txEnabled = true;
    st.rxEnabled = true;
    st.cts = true;
    const reply = new Array<number>(IGB_RESET_REPLY_WORDS).fill(0);
    if (!isZeroMac(st.mac)) {
      reply[0] = (MsgId.RESET | MsgFlag.ACK) >>> 0;
      const [lo, hi] = macToWords(st.mac);
      reply[1] = lo;
      reply[2] = hi;
    } else {
      reply[0] = (MsgId.RESET | MsgFlag.NACK) >>> 0;
    }
    await this.answer(vf, VF_RESET_REQUEST_WORD, reply, reply[0]! & MsgFlag.NACK ? 'no MAC stored: RESET answered NACK' : undefined);
  }

  #dispatch(vf: number, words: Uint32Array): HandlerResult {
    const w0 = words[0] ?? 0;
    switch (this.idOf(w0)) {
      case MsgId.SET_MAC_ADDR:
        return this.#setMacAddr(vf, words);
      case MsgId.IGB_SET_PROMISC:
        return this.#setPromisc(vf, words);
      case MsgId.SET_MULTICAST:
        return this.#setMulticast(vf, words);
      case MsgId.SET_LPE: {
        const size = Math.min(words[1] ?? 0, IGB_MAX_JUMBO_FRAME);
        this.vf(vf).maxFrame = size;
        return OK;
      }
      case MsgId.SET_VLAN:
        return this.#setVlan(vf, words);
      default:
        return { ok: false, reason: `Unhandled Msg ${(w0 >>> 0).toString(16).padStart(8, '0')}` };
    }
  }

  #setMacAddr(vf: number, words: Uint32Array): HandlerResult {
    const st = this.vf(vf);
    const info = ((words[0] ?? 0) & MSGINFO_MASK) >>> MSGINFO_SHIFT;
    const mac = macFromWords(words[1] ?? 0, words[2] ?? 0);
    if (info === IgbMacFilter.PRIMARY) {
      if (st.adminMac && !st.trusted) {
        return { ok: false, reason: `VF ${vf} attempted to override administratively set MAC address` };
      }
      if (!isValidUnicastMac(mac)) return { ok: false, reason: `VF ${vf} attempted to set invalid MAC` };
      st.mac = mac;
      return OK;
    }
    if (st.adminMac && !st.trusted) return { ok: false, reason: `VF ${vf} requested MAC filter but is administratively denied` };
    if (!isValidUnicastMac(mac)) return { ok: false, reason: `VF ${vf} attempted to set invalid MAC filter` };
    if (info === IgbMacFilter.CLEAR) {
      st.macFilters = [];
      return OK;
    }
    if (info === IgbMacFilter.ADD) {
      const used = this.#vfs.reduce((n, s) => n + s.macFilters.length, 0);
      if (used >= this.#macFilterSlots) return { ok: false, reason: `VF ${vf} has requested MAC filter but there is no space for it` };
      st.macFilters.push(mac);
      return OK;
    }
    return { ok: false, reason: `VF ${vf}: unknown MAC filter request ${info}` };
  }

  #setPromisc(vf: number, words: Uint32Array): HandlerResult {
    const st = this.vf(vf);
    let w0 = words[0] ?? 0;
    st.multicastPromiscFlag = false;
    if (w0 & IgbPromisc.MULTICAST) {
      st.multicastPromiscFlag = true;
      st.multicastPromisc = true;
      w0 = (w0 & ~IgbPromisc.MULTICAST) >>> 0;
      words[0] = w0;
    } else {
      st.multicastPromisc = st.multicastCount > IGB_MAX_MULTICAST;
    }
    if (w0 & MSGINFO_MASK) return { ok: false, reason: `VF ${vf}: unsupported promiscuous flags (only MULTICAST)` };
    return OK;
  }

  #setMulticast(vf: number, words: Uint32Array): HandlerResult {
    const st = this.vf(vf);
    const n = ((words[0] ?? 0) & MSGINFO_MASK) >>> MSGINFO_SHIFT;
    st.multicastCount = n;
    const stored = Math.min(n, IGB_MAX_MULTICAST);
    const hashes: number[] = [];
    for (let i = 0; i < stored; i++) {
      const word = words[1 + (i >> 1)] ?? 0;
      hashes.push(i % 2 === 0 ? word & 0xffff : word >>> 16);
    }
    st.multicastHashes = hashes;
    st.multicastPromisc = n > IGB_MAX_MULTICAST || st.multicastPromiscFlag;
    return OK;
  }

  #setVlan(vf: number, words: Uint32Array): HandlerResult {
    const st = this.vf(vf);
    if (st.portVlan !== 0) return { ok: false, reason: `VF ${vf} attempted to override administratively set VLAN tag` };
    const add = ((words[0] ?? 0) & MSGINFO_MASK) !== 0;
    const vid = (words[1] ?? 0) & VLAN_ID_MASK;
    if (vid === 0 && !add) return OK;
    if (add) {
      const all = new Set<number>();
      for (const s of this.#vfs) for (const v of s.vlans) all.add(v);
      if (!all.has(vid) && all.size >= IGB_VLVF_ENTRIES) return { ok: false, reason: `VF ${vf}: no free VLVF entry for VLAN ${vid}` };
      st.vlans.add(vid);
    } else {
      st.vlans.delete(vid);
    }
    return OK;
  }

  // ------------------------------------------------------------------------------------------------
  // admin knobs

  /** `ip link set PF vf N mac M`: PF_SET_MAC; no ping. */
  setAdminMac(mac: string | null, vf = 0): Promise<void> {
    return this.serialize(() => this.#setAdminMac(vf, mac));
  }

  #setAdminMac(vf: number, mac: string | null): void {
    const st = this.vf(vf);
    if (mac === null || isZeroMac(mac)) {
      st.adminMac = false;
      st.mac = ZERO_MAC;
      return;
    }
    if (!isValidUnicastMac(mac)) {
      throw new InvalidArgumentError('ERR_INVALID_MAC', `not a unicast MAC address: ${mac}`, {
        hint: 'the first octet must be even and the address non-zero',
      });
    }
    st.adminMac = true;
    st.mac = normalizeMac(mac);
  }

  /** `ip link set PF vf N trust on|off`: igb neither pings nor drops CTS. */
  setTrust(trusted: boolean, vf = 0): Promise<void> {
    return this.serialize(() => {
      this.vf(vf).trusted = trusted;
    });
  }

  setPortVlan(vlan: number, qos = 0, vf = 0): Promise<void> {
    return this.serialize(() => this.#setPortVlan(vf, vlan, qos));
  }

  #setPortVlan(vf: number, vlan: number, qos: number): void {
    if (!Number.isInteger(vlan) || vlan < 0 || vlan > VLAN_ID_MAX || !Number.isInteger(qos) || qos < 0 || qos > 7) {
      throw new InvalidArgumentError('ERR_INVALID_VLAN', `invalid port VLAN ${vlan} qos ${qos}`, { hint: `VLAN 0..${VLAN_ID_MAX}, qos 0..7` });
    }
    const st = this.vf(vf);
    if (st.portVlan !== 0 && st.portVlan !== vlan) st.vlans.delete(st.portVlan);
    st.vlans.add(vlan);
    st.portVlan = vlan;
    st.portQos = vlan === 0 ? 0 : qos;
  }

  /** igb_down → igb_reset: VF flags cleared (CTS false), ping all (0x100), VFRE/VFTE off, hardware reset (RSTI). */
  interfaceDown(): Promise<void> {
    return this.serialize(() => this.down());
  }

  protected async down(): Promise<void> {
    if (!this.up) return;
    this.up = false;
    for (const st of this.#vfs) {
      st.cts = false;
      st.multicastPromiscFlag = false;
    }
    await this.pingAll();
    for (const st of this.#vfs) st.rxEnabled = st.txEnabled = false;
    this.hardwareReset();
    this.dmesg.push('PF down: hardware reset, RSTI set in every VF');
  }

  /** igb_up: CTRL_EXT.PFRSTD (RSTI clear, RSTD set); then the watchdog's link-up ping_all. */
  interfaceUp(): Promise<void> {
    return this.serialize(async () => {
      if (this.up) return;
      this.up = true;
      this.resetDone();
      if (this.hw.linkUp) await this.pingAll();
      this.dmesg.push('PF up: PFRSTD set');
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
