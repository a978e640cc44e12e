/**
 * The one simulated Linux PF policy: `msg_task` and what it does with each VF's doorbells, shared by both
 * dialects — a VFLR (reset event), a message (read, ignore a word with ACK/NACK set, VF_RESET, refuse
 * without CTS, dispatch to the dialect's handler table, reply), an ACK (NACK a VF that is not clear to
 * send) — the VF_RESET reply, and the admin knobs both share (MAC, port VLAN, trust). Where ixgbe and igb differ, the core reads the dialect's table
 * (`PfDialectRules`, dialects.ts); the state each reset forgets and the handlers are the dialect's.
 */
import { InvalidArgumentError, showValue } from '../errors.js';
import { MAILBOX_WORDS, MsgFlag } from '../hw/mailbox.js';
import { MsgId, VF_RESET_REQUEST_WORD, VLAN_ID_MAX } from '../hw/messages.js';
import type { PfDialectRules } from './dialects.js';
import { isValidUnicastMac, isZeroMac, macToWords, normalizeMac, ZERO_MAC } from './mac.js';
import { SimPfBase } from './pf-base.js';

/** A handler's verdict: ACK or NACK, and the PF's log line when it has one. */
export interface HandlerResult {
  ok: boolean;
  reason?: string;
}

export const OK: HandlerResult = { ok: true };

/** One message's handler: reads the words, changes the PF's state, fills the reply words in place. */
export type MessageHandler<P> = (pf: P, vf: number, words: Uint32Array) => HandlerResult;

/** A message the dialect's rcv_msg does not dispatch: "Unhandled Msg", NACK. */
export function unhandled(words: Uint32Array): HandlerResult {
  return { ok: false, reason: `Unhandled Msg ${((words[0] ?? 0) >>> 0).toString(16).padStart(8, '0')}` };
}

/** A port VLAN and QoS the administrator may set: VLAN 0..4094, priority 0..7. */
export function checkPortVlan(vlan: number, qos: number): void {
  if (!Number.isInteger(vlan) || vlan < 0 || vlan > VLAN_ID_MAX || !Number.isInteger(qos) || qos < 0 || qos > 7) {
    throw new InvalidArgumentError('ERR_INVALID_VLAN', `invalid port VLAN ${vlan} qos ${qos}`, { hint: `VLAN 0..${VLAN_ID_MAX}, qos 0..7` });
  }
}

/** What the core needs of a VF's state in either dialect. */
export interface PolicyVfState {
  cts: boolean;
  mac: string;
  adminMac: boolean;
  trusted: boolean;
  /** last_nack (clock ms), where the dialect has a NACK silence window. */
  lastNack?: number;
}

export abstract class LinuxPfPolicy<S extends PolicyVfState> extends SimPfBase {
  protected abstract readonly rules: PfDialectRules;
  /** The dialect's handlers by message ID; any other ID is unhandled. */
  protected abstract readonly handlers: Readonly<Partial<Record<number, MessageHandler<this>>>>;

  /** Every VF's state, in VF order (filled by the dialect's constructor). */
  protected readonly vfStates: S[] = [];

  /** Live per-VF state (mutating it is for tests that need an odd start state). */
  vf(index = 0): S {
    const s = this.vfStates[index];
    if (s === undefined) throw new RangeError(`no VF ${index}`);
    return s;
  }

  /** Every VF's state, in VF order. */
  get allVfs(): readonly S[] {
    return this.vfStates;
  }

  /** VF 0's state. */
  get state(): S {
    return this.vf(0);
  }

  /** `ip link set PF down`: the dialect's down path (ixgbe_down, igb_down) under the PF's lock. */
  interfaceDown(): Promise<void> {
    return this.serialize(() => this.down());
  }

  /** A VFLR: what the dialect forgets (ixgbe_vf_reset_event, igb_vf_reset_event). */
  protected abstract vfResetEvent(vf: number): void;
  /** VF_RESET received: the state reset before the reply (ixgbe_vf_reset_msg, igb_vf_reset_msg). */
  protected abstract resetMsgState(vf: number): void;
  /** Dialect words of the VF_RESET reply beyond status and MAC (ixgbe: mc_filter_type). */
  protected resetReplyExtras(_reply: number[]): void {}

  protected async obtainLock(vf: number): Promise<boolean> {
    for (let attempt = 0; attempt < this.rules.lockAttempts; attempt++) {
      if (this.tryLockOnce(vf)) return true;
      if (this.rules.lockRetryDelayMs > 0) await this.clock.sleep(this.rules.lockRetryDelayMs);
    }
    return false;
  }

  /** Outside the NACK silence window (always, without one). */
  #mayNack(st: S): boolean {
    const silence = this.rules.nackSilenceMs;
    return silence === null || this.clock.now() > (st.lastNack ?? -Infinity) + silence;
  }

  protected async msgTask(): Promise<void> {
    for (let vf = 0; vf < this.vfCount; vf++) {
      if (this.checkForRst(vf)) this.vfResetEvent(vf);
      if (this.checkForMsg(vf)) await this.#rcvMsg(vf);
      if (this.checkForAck(vf)) await this.#rcvAck(vf);
    }
  }

  async #rcvAck(vf: number): Promise<void> {
    const st = this.vf(vf);
    if (st.cts || !this.#mayNack(st)) return;
    await this.writeMbx(vf, [MsgFlag.NACK], 'nack');
    if (this.rules.nackSilenceMs !== null) st.lastNack = this.clock.now();
  }

  async #readFailed(vf: number): Promise<void> {
    const st = this.vf(vf);
    if (!this.rules.readFailureRevokesCts) {
      this.record({ vf, word0: 0, id: 0, result: 'dropped', reason: 'Error receiving message from VF', reply: [] });
      return;
    }
    st.cts = false;
    if (!this.#mayNack(st)) {
      this.releaseLock(vf);
      this.record({ vf, word0: 0, id: 0, result: 'dropped', reason: 'Error receiving message from VF (CTS revoked, silent)', reply: [] });
      return;
    }
    // msgbuf is uninitialised in the C code; the simulator answers a bare NACK.
    const reply = [MsgFlag.NACK];
    const delivered = await this.writeMbx(vf, reply, 'reply');
    this.record({ vf, word0: 0, id: 0, result: delivered ? 'NACK' : 'dropped', reason: 'Error receiving message from VF (CTS revoked)', reply });
  }

  async #rcvMsg(vf: number): Promise<void> {
    const keepsLock = this.rules.readKeepsLock;
    const words = await this.readMbx(vf, MAILBOX_WORDS, keepsLock);
    if (words === undefined) {
      await this.#readFailed(vf);
      return;
    }
    const w0 = words[0] ?? 0;
    const id = this.idOf(w0);
    if (w0 & (MsgFlag.ACK | MsgFlag.NACK)) {
      if (keepsLock) this.releaseLock(vf);
      this.record({ vf, word0: w0, id, result: 'ignored', reason: 'message already processed (ACK/NACK set)', reply: [] });
      return;
    }
    if (await this.injectedResetMidTransaction(vf, w0)) return;
    if (w0 === VF_RESET_REQUEST_WORD) {
      await this.#resetMsg(vf);
      return;
    }
    const st = this.vf(vf);
    if (!st.cts) {
      if (!this.#mayNack(st)) {
        if (keepsLock) this.releaseLock(vf);
        this.record({ vf, word0: w0, id, result: 'silent', reason: 'VF not clear to send (within 2 s of last NACK: no reply)', reply: [] });
        return;
      }
      await this.answer(vf, w0, [(w0 | MsgFlag.NACK) >>> 0], 'VF not clear to send');
      return;
    }
    const handler = this.handlers[id];
    const result = handler === undefined ? unhandled(words) : handler(this, vf, words);
    // The handler may have rewritten word 0 (igb SET_PROMISC drops the flag it took); the kernel ORs into msgbuf[0].
    words[0] = ((words[0] ?? 0) | (result.ok ? MsgFlag.ACK : MsgFlag.NACK) | MsgFlag.CTS) >>> 0;
    await this.answer(vf, w0, [...words.subarray(0, this.rules.replyWords)], result.reason);
  }

  async #resetMsg(vf: number): Promise<void> {
    const st = this.vf(vf);
    this.resetMsgState(vf);
    st.cts = true;
    const reply = new Array<number>(this.rules.resetReplyWords).fill(0);
    const ack = !isZeroMac(st.mac) && (st.adminMac || !this.rules.resetAcksAdminMacOnly);
    reply[0] = (MsgId.RESET | (ack ? MsgFlag.ACK : MsgFlag.NACK)) >>> 0;
    if (ack) [reply[1], reply[2]] = macToWords(st.mac);
    this.resetReplyExtras(reply);
    await this.answer(vf, VF_RESET_REQUEST_WORD, reply, ack ? undefined : this.rules.resetNackReason);
  }

  /** `ip link set PF vf N mac M` (null or zero = remove): no notification to the VF (§6.6). */
  setAdminMac(mac: string | null, vf = 0): Promise<void> {
    return this.serialize(() => this.applyAdminMac(vf, mac));
  }

  /**
   * The administrator's MAC for VF `vf` (ixgbe_ndo_set_vf_mac, igb_ndo_set_vf_mac): stored with the
   * admin flag, or both cleared; `adminMacApplied` lets the dialect do the rest (ixgbe's RAR entry).
   */
  protected applyAdminMac(vf: number, mac: string | null): void {
    const st = this.vf(vf);
    if (mac !== null && typeof mac !== 'string') {
      throw new InvalidArgumentError('ERR_INVALID_MAC', `the admin MAC must be a MAC address string or null, got ${showValue(mac)}`, { hint: 'e.g. setAdminMac("02:00:00:00:00:09")' });
    }
    if (mac === null || isZeroMac(mac)) {
      st.adminMac = false;
      st.mac = ZERO_MAC;
      this.adminMacApplied(vf, false);
      return;
    }
    if (!isValidUnicastMac(mac)) {
      throw new InvalidArgumentError('ERR_INVALID_MAC', `not a unicast MAC address: ${showValue(mac)}`, {
        hint: 'the first octet must be even and the address non-zero',
      });
    }
    st.mac = normalizeMac(mac);
    st.adminMac = true;
    this.adminMacApplied(vf, true);
  }

  /** After the admin MAC was set (`set`) or removed. */
  protected adminMacApplied(_vf: number, _set: boolean): void {}

  /** `ip link set PF vf N vlan V [qos Q]` (0 = remove): no ping. */
  setPortVlan(vlan: number, qos = 0, vf = 0): Promise<void> {
    return this.serialize(() => {
      checkPortVlan(vlan, qos);
      this.applyPortVlan(vf, vlan, qos);
    });
  }

  /** The port VLAN in the VF's filters (ixgbe_ndo_set_vf_vlan, igb_ndo_set_vf_vlan differ in how). */
  protected abstract applyPortVlan(vf: number, vlan: number, qos: number): void;

  /**
   * `ip link set PF vf N trust on|off`. Where a trust change resets the VF (ixgbe), a change drops CTS and
   * pings without CTS; otherwise only the flag changes.
   */
  setTrust(trusted: boolean, vf = 0): Promise<void> {
    if (typeof trusted !== 'boolean') {
      return Promise.reject(new InvalidArgumentError('ERR_INVALID_ARGUMENT', `trust must be true or false, got ${showValue(trusted)}`, { hint: 'setTrust(true) or setTrust(false)' }));
    }
    return this.serialize(async () => {
      const st = this.vf(vf);
      if (!this.rules.trustChangeResetsVf) {
        st.trusted = trusted;
        return;
      }
      if (st.trusted === trusted) return;
      st.trusted = trusted;
      st.cts = false;
      await this.ping(vf, this.pingWord(false));
      this.note(`VF ${vf} is ${trusted ? '' : 'not '}trusted`);
    });
  }
}
