/**
 * `class Vf`: the VF side of the PF↔VF mailbox protocol (reference §5, §7), over `RegisterIo` and
 * `IrqSource` only. Implements the `VfApi` contract (types.ts).
 *
 * Lifecycle: `reset()` then `negotiateApi()` — in practice `resetAndNegotiate()` (bring-up.ts), which
 * also sends GET_QUEUES as the stock ixgbevf does. reset() puts the API back to 1.0 and the legacy
 * mailbox discipline, as the PF forgets the negotiated API on every VF reset (§5.3); it does NOT
 * renegotiate by itself. docs/protocol.md describes the protocol and every deliberate difference from
 * the kernel.
 */
import { EventEmitter } from 'node:events';
import { DeviceGoneError, InvalidArgumentError, NotSupportedError, PfNackError, PfResetTimeoutError, ResetRequiredError } from '../errors.js';
import { ApiVersion, NEGOTIATION_ORDER, apiAtLeast } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { MsgFlag, REMOVED_REGISTER_VALUE, VF_RESET_REPLY_DELAY_MS, VF_RESET_RSTI_TIMEOUT_MS, MSGINFO_MASK, MSGINFO_SHIFT } from '../hw/mailbox.js';
import {
  ETH_FCS_BYTES,
  ETH_HEADER_BYTES,
  GET_QUEUES_WORDS,
  IgbPromisc,
  IXGBEVF_82599_API10_MAX_MTU,
  LPE_MAX_FRAME,
  MAX_MULTICAST_PER_MESSAGE,
  MTU_MIN,
  MsgId,
  PfFeature,
  QueuesWord,
  RETA_ENTRIES_PER_WORD,
  RETA_REPLY_WORDS,
  RSS_KEY_BYTES,
  RSS_KEY_REPLY_WORDS,
  ResetReplyWord,
  VF_MAX_QUEUES,
  VF_RESET_REQUEST_WORD,
  VLAN_ADD_MSGINFO,
  VLAN_ID_MAX,
  XcastMode,
} from '../hw/messages.js';
import { noIrqs, systemClock, type Clock, type IrqSource, type RegisterIo } from '../io.js';
import { hasAck, hasNack, hex32, requestWord, withoutCts, classifyWord } from '../mbx/codec.js';
import { Mailbox, type MailboxSession } from '../mbx/mailbox.js';
import { legacyOps } from '../mbx/ops-legacy.js';
import { lockedOps } from '../mbx/ops-locked.js';
import type { MailboxDiscipline } from '../mbx/ops.js';
import type { MailboxTraceHook } from '../mbx/trace.js';
import { enableMailboxInterrupt, maskInterrupts } from './interrupts.js';
import { decodeLinkRegister, decodePfLinkState } from './link.js';
import { formatMac, macFromWords, macToWords, parseMulticastMac, parseUnicastMac } from './mac.js';
import { multicastHash, packHashes } from './multicast.js';
import { nackError, renderRemedies, type NackContext, type NackKind, type Remedy, type RemedyTarget } from './nack.js';
import { Requirements, requireSupported, type Requirement } from './requirements.js';
import {
  XCAST_MODE_VALUES,
  type LinkInfo,
  type MailboxCounters,
  type QueueInfo,
  type ResetResult,
  type VfApi,
  type VfEvents,
  type XcastModeName,
} from './types.js';

export interface VfOptions {
  readonly regs: RegisterIo;
  readonly irqs: IrqSource;
  readonly family: FamilyDescriptor;
  readonly clock?: Clock;
  /** Budget of each mailbox wait, ms (default MBX_TIMEOUT_MS = 2000 × 500 µs; the CLI's --timeout). */
  readonly timeoutMs?: number;
  /**
   * Timer interval between mailbox checks when no interrupt comes, ms. Default: interrupt mode 10
   * (MBX_IRQ_FALLBACK_POLL_MS, a safety net: the interrupt wakes the wait), poll mode 0.5 (→ ~1 ms in Node).
   */
  readonly pollIntervalMs?: number;
  /** Budget for RSTI to clear after VFCTRL.RST, ms (default VF_RESET_RSTI_TIMEOUT_MS). */
  readonly resetTimeoutMs?: number;
  /**
   * Interrupt mode (default true): program the mailbox vector after each reset, wake mailbox waits on
   * interrupts, and check the mailbox on every interrupt (events). false = poll mode: nothing is
   * programmed or subscribed; call checkPfEvents() periodically.
   */
  readonly interrupts?: boolean;
  readonly onTrace?: MailboxTraceHook;
  /** The PF's netdev name, to fill in hints (`ip link set <pf> …`). */
  readonly pfName?: string;
  /**
   * The VF is the simulated one (`sim:`): hints name the sim spec key that models a PF setting instead of
   * an `ip link` command for a PF netdev that does not exist (see nack.ts). Default false.
   */
  readonly simulated?: boolean;
  /** The VF index on its PF, to fill in hints (`… vf <n> …`). */
  readonly vfIndex?: number;
}

/** Result of checkPfEvents(). */
export interface PfEventCheck {
  /** RSTI/RSTD was seen, or a PF word said the VF lost clear-to-send. */
  pfReset: boolean;
  /** Unsolicited PF words read (and ACKed). */
  messages: number[];
}

const ETH_OVERHEAD = ETH_HEADER_BYTES + ETH_FCS_BYTES;
/** IXGBEVF_SUPPORTED_FEATURES: what ixgbevf offers in FEATURES_NEGOTIATE. */
const IXGBEVF_SUPPORTED_FEATURES = PfFeature.IPSEC | PfFeature.ESX_MBX;
const XCAST_NAMES = Object.fromEntries(Object.entries(XCAST_MODE_VALUES).map(([name, value]) => [value, name])) as Record<number, XcastModeName>;
const MAX_MSGINFO = MSGINFO_MASK >>> MSGINFO_SHIFT;
/** Unsolicited messages read per checkPfEvents() call at most (each read takes a lock round). */
const MAX_DRAIN_PER_CHECK = 4;

export class Vf implements VfApi {
  readonly family: FamilyDescriptor;
  readonly #regs: RegisterIo;
  readonly #mbx: Mailbox;
  readonly #events = new EventEmitter();
  readonly #interrupts: boolean;
  readonly #resetTimeoutMs: number;
  readonly #target: RemedyTarget;
  readonly #unsubscribe: () => void;
  #api: ApiVersion = ApiVersion.V1_0;
  #lastReset: ResetResult | null = null;
  #pfFeatures = 0;
  #xcast: XcastModeName | null = null;
  #xcastBeforeOverflow: XcastModeName | null = null;
  /** The last GET_QUEUES answer since the last reset (traffic classes explain a SET_VLAN NACK). */
  #queues: QueueInfo | null = null;
  /** E610 at API ≥ 1.6: the last link the PF reported (GET_PF_LINK_STATE); null = not asked since the reset. */
  #pfLink: LinkInfo | null = null;
  #checkQueued = false;
  #closed = false;

  constructor(opts: VfOptions) {
    this.family = opts.family;
    this.#regs = opts.regs;
    this.#interrupts = opts.interrupts ?? true;
    this.#resetTimeoutMs = opts.resetTimeoutMs ?? VF_RESET_RSTI_TIMEOUT_MS;
    this.#target =
      opts.simulated === true ? { kind: 'sim' } : { kind: 'host', pf: opts.pfName ?? '<pf>', vf: opts.vfIndex === undefined ? '<n>' : String(opts.vfIndex) };
    this.#mbx = new Mailbox({
      regs: opts.regs,
      family: opts.family,
      irqs: this.#interrupts ? opts.irqs : noIrqs,
      clock: opts.clock ?? systemClock,
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.pollIntervalMs === undefined ? {} : { pollIntervalMs: opts.pollIntervalMs }),
      ...(opts.onTrace === undefined ? {} : { onTrace: opts.onTrace }),
      onUnsolicited: (word) => this.#onUnsolicited(word),
      onResetRequired: (reason) => this.#emit('pf-reset', reason),
    });
    this.#unsubscribe = this.#interrupts ? opts.irqs.on(() => this.#onInterrupt()) : () => undefined;
  }

  // State ------------------------------------------------------------------------------------------

  get api(): ApiVersion {
    return this.#api;
  }

  get lastReset(): ResetResult | null {
    return this.#lastReset;
  }

  get counters(): Readonly<MailboxCounters> {
    return this.#mbx.counters;
  }

  get needsReset(): boolean {
    return this.#mbx.needsReset;
  }

  /** Addition: features agreed with FEATURES_NEGOTIATE, or inferred from the API (1.4 IPsec, 1.5 ESX). */
  get pfFeatures(): number {
    return this.#pfFeatures;
  }

  /** Addition: the mailbox discipline in use ('legacy' unless the PF is ESX-style, reference §4.6). */
  get mailboxDiscipline(): MailboxDiscipline {
    return this.#mbx.discipline;
  }

  /** Addition: the xcast mode the PF last granted (null until set; the PF keeps it across resets). */
  get xcastMode(): XcastModeName | null {
    return this.#xcast;
  }

  // Reset and negotiation -------------------------------------------------------------------------

  /**
   * VF reset (reference §7.2): mask interrupts, VFCTRL.RST, wait for RSTI to clear (RSTD drained), then
   * VF_RESET (exactly 0x00000001) and its reply: ACK → the admin MAC, NACK → no admin MAC (null).
   * Afterwards the API is 1.0 and the mailbox legacy: call negotiateApi() next.
   * Interrupts: masked across CTRL.RST (as Linux), then the mailbox vector is programmed as soon as the
   * PF has finished its reset (RSTI clear), before VF_RESET is sent — so the reset reply itself already
   * comes with an MSI-X interrupt (on igb, whose PF speaks no negotiation, it is the only reply `info`
   * gets). CTRL.RST is what can clear the interrupt registers, so programming after it is safe.
   */
  async reset(): Promise<ResetResult> {
    this.#assertOpen();
    return this.#mbx.exclusive(async (s) => {
      const { family } = this;
      maskInterrupts(this.#regs, family);
      this.#api = ApiVersion.V1_0;
      this.#pfFeatures = 0;
      this.#queues = null;
      this.#pfLink = null;
      this.#mbx.setOps(legacyOps);
      this.#regs.write32(family.regs.ctrl, family.ctrlReset);
      this.#flush();
      const settled = await s.waitUntil(() => !s.checkForRst(), this.#resetTimeoutMs);
      if (!settled) {
        this.#mbx.requireReset('the PF is still in reset (RSTI)', false);
        const remedies: Remedy[] = [{ kind: 'pf', setting: 'up' }];
        throw new PfResetTimeoutError('PF still in reset: is the PF interface up?', {
          hint: renderRemedies(remedies, this.#target),
          details: { waitedMs: this.#resetTimeoutMs, remedies },
        });
      }
      this.#mbx.clearNeedsReset();
      if (this.#interrupts) enableMailboxInterrupt(this.#regs, family);
      const reply = await s.writeMsgReadAck([VF_RESET_REQUEST_WORD], family.resetReplyWords, { replyDelayMs: VF_RESET_REPLY_DELAY_MS });
      const status = withoutCts(reply[ResetReplyWord.STATUS]!);
      let permanentMac: string | null;
      if (status === ((VF_RESET_REQUEST_WORD | MsgFlag.ACK) >>> 0)) {
        permanentMac = formatMac(macFromWords(reply[ResetReplyWord.MAC_LO] ?? 0, reply[ResetReplyWord.MAC_HI] ?? 0));
      } else if (status === ((VF_RESET_REQUEST_WORD | MsgFlag.NACK) >>> 0)) {
        permanentMac = null;
      } else {
        this.#mbx.requireReset(`unexpected VF_RESET reply ${hex32(status)}`, false);
        throw new ResetRequiredError(`the PF answered VF_RESET with ${hex32(reply[0]!)}, neither ACK nor NACK`, {
          hint: 'retry the reset; if it persists, check the PF kernel log (`dmesg`)',
          details: { reply: reply.map(hex32) },
        });
      }
      const mcFilterType = family.resetReplyWords > ResetReplyWord.MC_FILTER_TYPE ? (reply[ResetReplyWord.MC_FILTER_TYPE] ?? 0) : 0;
      this.#lastReset = { permanentMac, mcFilterType };
      return { ...this.#lastReset };
    });
  }

  /**
   * API negotiation, newest first (NEGOTIATION_ORDER, as Linux ixgbevf); a NACK just moves on to the
   * next version, the first ACK wins; if every version is NACKed the API stays 1.0 (no error). At 1.7
   * the features are negotiated too, with the word ixgbevf sends (IXGBEVF_SUPPORTED_FEATURES = IPSEC |
   * ESX_MBX, ixgbevf_negotiate_features_vf; we never use IPsec, and the PF only masks the word). The locked discipline is
   * installed only for API 1.5, or 1.7 with ESX_MBX (reference §4.6).
   *
   * igb has no negotiation (its PF NACKs 0x08 as unknown): returns 1.0 without sending anything, which
   * spares the igb PF an "Unhandled Msg" log line per reset.
   */
  async negotiateApi(): Promise<ApiVersion> {
    this.#assertOpen();
    if (!this.family.negotiatesApi) {
      this.#api = ApiVersion.V1_0;
      return this.#api;
    }
    requireSupported(Requirements.API_NEGOTIATE, this.family, ApiVersion.V1_0);
    return this.#mbx.exclusive(async (s) => {
      let agreed: ApiVersion = ApiVersion.V1_0;
      for (const api of NEGOTIATION_ORDER) {
        const reply = await s.writeMsgReadAck([requestWord(MsgId.API_NEGOTIATE), api, 0], 3);
        if (hasAck(reply[0]!) && !hasNack(reply[0]!)) {
          agreed = api;
          break;
        }
      }
      this.#api = agreed;
      this.#pfFeatures = agreed === ApiVersion.V1_4 ? PfFeature.IPSEC : agreed === ApiVersion.V1_5 ? PfFeature.ESX_MBX : 0;
      if (agreed === ApiVersion.V1_7) {
        try {
          this.#pfFeatures = await this.#featuresIn(s, IXGBEVF_SUPPORTED_FEATURES);
        } catch (err) {
          if (!(err instanceof PfNackError)) throw err;
          this.#pfFeatures = 0;
        }
      }
      this.#selectOps();
      return this.#api;
    });
  }

  /** FEATURES_NEGOTIATE (API 1.7): returns the agreed feature bits; re-selects the mailbox discipline. */
  async negotiateFeatures(features: number): Promise<number> {
    this.#assertOpen();
    if (!Number.isInteger(features) || features < 0 || features > 0xffffffff) {
      throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `feature mask ${features} is not a 32-bit unsigned integer`);
    }
    requireSupported(Requirements.FEATURES_NEGOTIATE, this.family, this.#api);
    return this.#mbx.exclusive(async (s) => {
      this.#pfFeatures = await this.#featuresIn(s, features);
      this.#selectOps();
      return this.#pfFeatures;
    });
  }

  async #featuresIn(s: MailboxSession, features: number): Promise<number> {
    const reply = await s.writeMsgReadAck([requestWord(MsgId.FEATURES_NEGOTIATE), features >>> 0], 2);
    if (hasNack(reply[0]!)) throw nackError({ op: 'FEATURES_NEGOTIATE' }, reply[0]!, this.#nackContext());
    return (reply[1] ?? 0) >>> 0;
  }

  #selectOps(): void {
    const esx = this.#api === ApiVersion.V1_5 || (this.#api === ApiVersion.V1_7 && (this.#pfFeatures & PfFeature.ESX_MBX) !== 0);
    this.#mbx.setOps(esx ? lockedOps : legacyOps);
  }

  // Configuration ----------------------------------------------------------------------------------

  /** SET_MAC_ADDR (igb: MSGINFO 0, the primary address). Rejects multicast and all-zero locally. */
  async setMac(mac: string): Promise<void> {
    const bytes = parseUnicastMac(mac);
    const text = formatMac(bytes);
    await this.#call(Requirements.SET_MAC_ADDR, [requestWord(MsgId.SET_MAC_ADDR), ...macToWords(bytes)], 3, { op: 'SET_MAC_ADDR', mac: text });
  }

  /**
   * SET_MULTICAST with the 12-bit hashes of `macs` (multicast addresses only), per the mc_filter_type
   * of the last reset. One message carries at most 30 hashes. Beyond 30:
   * - ixgbe at API ≥ 1.2: the first 30 are sent and the xcast mode is raised to ALLMULTI (unless it is
   *   already ALLMULTI or PROMISC) → `overflow: 'allmulti'`. If the PF downgrades (untrusted VF → MULTI),
   *   the result is `'truncated'`. A later list of ≤ 30 restores the mode that was in force before.
   * - ixgbe below API 1.2: the first 30 are sent → `overflow: 'truncated'`.
   * - igb: MSGINFO carries the real count (capped at 255) and the igb PF turns on multicast promiscuous
   *   for counts above 30 → `overflow: 'allmulti'`.
   * `programmed` is the number of hashes sent (≤ 30).
   */
  async setMulticast(macs: readonly string[]): Promise<{ programmed: number; overflow: 'none' | 'allmulti' | 'truncated' }> {
    if (!Array.isArray(macs)) throw new InvalidArgumentError('ERR_INVALID_MAC', 'the multicast list must be an array of MAC addresses');
    const groups = macs.map((m) => parseMulticastMac(m));
    requireSupported(Requirements.SET_MULTICAST, this.family, this.#api);
    const filterType = this.#lastReset?.mcFilterType ?? 0;
    const sent = groups.slice(0, MAX_MULTICAST_PER_MESSAGE);
    const hashes = sent.map((g) => multicastHash(g, filterType));
    const igb = this.family.kind === 'igbvf';
    const over = groups.length > MAX_MULTICAST_PER_MESSAGE;
    const count = igb && over ? Math.min(groups.length, MAX_MSGINFO) : sent.length;
    await this.#call(Requirements.SET_MULTICAST, [requestWord(MsgId.SET_MULTICAST, count), ...packHashes(hashes)], 1, { op: 'SET_MULTICAST' });
    if (igb) return { programmed: sent.length, overflow: over ? 'allmulti' : 'none' };
    const canXcast = apiAtLeast(this.#api, ApiVersion.V1_2);
    if (!over) {
      if (this.#xcastBeforeOverflow !== null && canXcast) {
        const previous = this.#xcastBeforeOverflow;
        this.#xcastBeforeOverflow = null;
        await this.#xcastIxgbe(previous);
      }
      return { programmed: sent.length, overflow: 'none' };
    }
    if (!canXcast) return { programmed: sent.length, overflow: 'truncated' };
    const current = this.#xcast ?? 'multi';
    if (XCAST_MODE_VALUES[current] >= XcastMode.ALLMULTI) return { programmed: sent.length, overflow: 'allmulti' };
    const granted = await this.#xcastIxgbe('allmulti');
    this.#xcastBeforeOverflow ??= current;
    return { programmed: sent.length, overflow: XCAST_MODE_VALUES[granted] >= XcastMode.ALLMULTI ? 'allmulti' : 'truncated' };
  }

  /** SET_VLAN: add (`on`) or remove VLAN `id` (0..4095). */
  async setVlan(id: number, on: boolean): Promise<void> {
    if (!Number.isInteger(id) || id < 0 || id > VLAN_ID_MAX) {
      throw new InvalidArgumentError('ERR_INVALID_VLAN', `invalid VLAN id ${String(id)}: expected an integer 0..${VLAN_ID_MAX}`, { details: { vlan: id } });
    }
    if (typeof on !== 'boolean') throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', 'setVlan(id, on): `on` must be a boolean');
    await this.#call(Requirements.SET_VLAN, [requestWord(MsgId.SET_VLAN, on ? VLAN_ADD_MSGINFO : 0), id], 2, { op: 'SET_VLAN', id, on });
  }

  /** Largest max frame this VF may ask for now: 82599 at API 1.0 is limited to MTU 1504 (reference §5.4). */
  get maxFrameLimit(): number {
    return this.family.model === '82599' && this.#api === ApiVersion.V1_0 ? IXGBEVF_82599_API10_MAX_MTU + ETH_OVERHEAD : LPE_MAX_FRAME;
  }

  /**
   * SET_LPE with the max frame size in bytes (MTU + 18): (MTU_MIN + 18)..(MTU_MAX + 18) = 86..9728; an
   * 82599 at API 1.0: ..1522. The floor is ixgbevf's: its netdev min_mtu is ETH_MIN_MTU (ixgbevf_probe), so
   * it never sends a frame below 86 although the PF would take 68 (ixgbe_set_vf_lpe).
   */
  async setMaxFrame(bytes: number): Promise<void> {
    const limit = this.maxFrameLimit;
    const min = MTU_MIN + ETH_OVERHEAD;
    if (!Number.isInteger(bytes) || bytes < min || bytes > limit) {
      throw this.#mtuError(`invalid max frame ${String(bytes)}: expected ${min}..${limit} bytes (MTU ${MTU_MIN}..${limit - ETH_OVERHEAD})`, limit, { maxFrame: bytes, min, max: limit });
    }
    await this.#call(Requirements.SET_LPE, [requestWord(MsgId.SET_LPE), bytes], 2, { op: 'SET_LPE', maxFrame: bytes });
  }

  /** SET_LPE for an MTU (MTU_MIN..MTU_MAX, src/hw/messages.ts): sends MTU + 14 (Ethernet header) + 4 (FCS), as ixgbevf_change_mtu. */
  async setMtu(mtu: number): Promise<void> {
    const limit = this.maxFrameLimit - ETH_OVERHEAD;
    if (!Number.isInteger(mtu) || mtu < MTU_MIN || mtu > limit) {
      throw this.#mtuError(`invalid MTU ${String(mtu)}: expected ${MTU_MIN}..${limit}`, limit + ETH_OVERHEAD, { mtu, min: MTU_MIN, max: limit });
    }
    await this.setMaxFrame(mtu + ETH_OVERHEAD);
  }

  #mtuError(message: string, limitFrame: number, details: Record<string, unknown>): InvalidArgumentError {
    // ixgbevf_probe: an 82599 VF at API 1.0 gets max_mtu ETH_DATA_LEN + ETH_FCS_LEN (1504).
    const remedies: Remedy[] = limitFrame < LPE_MAX_FRAME ? [{ kind: 'vf-step', step: 'negotiate-api' }] : [];
    return new InvalidArgumentError('ERR_INVALID_MTU', limitFrame < LPE_MAX_FRAME ? `${message} (an 82599 VF at mailbox API 1.0 is limited to MTU ${IXGBEVF_82599_API10_MAX_MTU})` : message, {
      ...(remedies.length === 0 ? {} : { hint: renderRemedies(remedies, this.#target) }),
      details: { ...details, remedies },
    });
  }

  /**
   * SET_MACVLAN: index 0 clears all extra unicast filters (mac ignored), 1 starts a new list with `mac`,
   * > 1 adds `mac` (index ≤ 255, it travels in MSGINFO).
   */
  async setMacvlan(index: number, mac: string | null): Promise<void> {
    if (!Number.isInteger(index) || index < 0 || index > MAX_MSGINFO) {
      throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `invalid MACVLAN index ${String(index)}: expected 0..${MAX_MSGINFO}`);
    }
    let words: [number, number] = [0, 0];
    let text: string | null = null;
    if (index > 0) {
      if (mac === null) throw new InvalidArgumentError('ERR_INVALID_MAC', `MACVLAN index ${index} needs a MAC address`);
      const bytes = parseUnicastMac(mac);
      text = formatMac(bytes);
      words = macToWords(bytes);
    }
    await this.#call(Requirements.SET_MACVLAN, [requestWord(MsgId.SET_MACVLAN, index), ...words], 3, { op: 'SET_MACVLAN', mac: text, index });
  }

  /**
   * UPDATE_XCAST_MODE (ixgbe, API ≥ 1.2; promisc ≥ 1.3). Returns the mode the PF granted (reply word 1):
   * an untrusted VF asking for allmulti/promisc is silently given 'multi'. igb: SET_PROMISC with the
   * multicast flag for 'allmulti', without it for 'none'/'multi'; 'promisc' is not supported there.
   */
  async setXcastMode(mode: XcastModeName): Promise<XcastModeName> {
    if (typeof mode !== 'string' || !Object.hasOwn(XCAST_MODE_VALUES, mode)) {
      throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `invalid xcast mode ${JSON.stringify(mode)}: expected none, multi, allmulti or promisc`);
    }
    this.#xcastBeforeOverflow = null;
    if (this.family.kind === 'igbvf') return this.#xcastIgb(mode);
    return this.#xcastIxgbe(mode);
  }

  async #xcastIxgbe(mode: XcastModeName): Promise<XcastModeName> {
    requireSupported(mode === 'promisc' ? Requirements.XCAST_PROMISC : Requirements.UPDATE_XCAST_MODE, this.family, this.#api);
    const reply = await this.#call(Requirements.UPDATE_XCAST_MODE, [requestWord(MsgId.UPDATE_XCAST_MODE), XCAST_MODE_VALUES[mode]], 2, { op: 'UPDATE_XCAST_MODE', mode });
    const granted = XCAST_NAMES[reply[1] ?? -1] ?? mode;
    this.#xcast = granted;
    return granted;
  }

  async #xcastIgb(mode: XcastModeName): Promise<XcastModeName> {
    if (mode === 'promisc') {
      throw new NotSupportedError('unicast promiscuous mode does not exist for igb VFs (the igb PF supports multicast promiscuous only)', {
        hint: 'use xcast mode allmulti',
      });
    }
    const word0 = (requestWord(MsgId.IGB_SET_PROMISC) | (mode === 'allmulti' ? IgbPromisc.MULTICAST : 0)) >>> 0;
    await this.#call(Requirements.IGB_SET_PROMISC, [word0], 1, { op: 'SET_PROMISC', mode });
    this.#xcast = mode;
    return mode;
  }

  // Queries ----------------------------------------------------------------------------------------

  /** GET_QUEUES (API ≥ 1.1), sanitised as ixgbevf does (0 or > 8 queues → 8; TCs > rx → 1; def_q ≥ tx → 0). */
  async getQueues(): Promise<QueueInfo> {
    const reply = await this.#call(Requirements.GET_QUEUES, [requestWord(MsgId.GET_QUEUES), 0, 0, 0, 0], GET_QUEUES_WORDS, { op: 'GET_QUEUES' });
    const clampQueues = (n: number): number => (n === 0 || n > VF_MAX_QUEUES ? VF_MAX_QUEUES : n);
    const txQueues = clampQueues(reply[QueuesWord.TX_QUEUES] ?? 0);
    const rxQueues = clampQueues(reply[QueuesWord.RX_QUEUES] ?? 0);
    let transparentVlan = reply[QueuesWord.TRANS_VLAN] ?? 0;
    if (transparentVlan > rxQueues) transparentVlan = 1;
    let defaultQueue = reply[QueuesWord.DEF_QUEUE] ?? 0;
    if (defaultQueue >= txQueues) defaultQueue = 0;
    this.#queues = { txQueues, rxQueues, transparentVlan, defaultQueue };
    return { ...this.#queues };
  }

  /** GET_RETA (API ≥ 1.2, 82599/X540 PF with query_rss on): 128 two-bit entries. */
  async getReta(): Promise<number[]> {
    const reply = await this.#call(Requirements.GET_RETA, [requestWord(MsgId.GET_RETA)], RETA_REPLY_WORDS, { op: 'GET_RETA' });
    const entries: number[] = [];
    for (let w = 1; w < RETA_REPLY_WORDS; w += 1) {
      for (let j = 0; j < RETA_ENTRIES_PER_WORD; j += 1) entries.push(((reply[w] ?? 0) >>> (2 * j)) & 0x3);
    }
    return entries;
  }

  /** GET_RSS_KEY (API ≥ 1.2, 82599/X540 PF with query_rss on): the 40-byte key. */
  async getRssKey(): Promise<Uint8Array> {
    const reply = await this.#call(Requirements.GET_RSS_KEY, [requestWord(MsgId.GET_RSS_KEY)], RSS_KEY_REPLY_WORDS, { op: 'GET_RSS_KEY' });
    const key = new Uint8Array(RSS_KEY_BYTES);
    for (let i = 0; i < RSS_KEY_BYTES; i += 1) key[i] = ((reply[1 + (i >> 2)] ?? 0) >>> (8 * (i & 3))) & 0xff;
    return key;
  }

  /** GET_LINK_STATE (API ≥ 1.2): whether the administrator lets the VF have link. */
  async getLinkState(): Promise<boolean> {
    const reply = await this.#call(Requirements.GET_LINK_STATE, [requestWord(MsgId.GET_LINK_STATE), 0], 2, { op: 'GET_LINK_STATE' });
    return (reply[1] ?? 0) !== 0;
  }

  /** GET_PF_LINK_STATE (API ≥ 1.6, E610 PF only). On an E610 the answer is also what link() reports next. */
  async getPfLinkState(): Promise<LinkInfo> {
    const reply = await this.#call(Requirements.GET_PF_LINK_STATE, [requestWord(MsgId.GET_PF_LINK_STATE), 0, 0], 3, { op: 'GET_PF_LINK_STATE' });
    const link = decodePfLinkState(reply[1] ?? 0, reply[2] ?? 0);
    if (this.#linkFromPf()) this.#pfLink = link;
    return { ...link };
  }

  /**
   * Where the link comes from, as ixgbevf_check_mac_link_vf decides: an E610 VF at API ≥ 1.6 asks the
   * PF (GET_PF_LINK_STATE) because E610 does not maintain VFLINKS for VFs; every other VF reads VFLINKS
   * (igb: STATUS).
   */
  #linkFromPf(): boolean {
    return this.family.model === 'E610' && this.family.kind === 'ixgbevf' && apiAtLeast(this.#api, ApiVersion.V1_6);
  }

  /**
   * The link now, as ixgbevf_check_mac_link_vf gets it: an E610 VF at API ≥ 1.6 asks the PF
   * (GET_PF_LINK_STATE, one mailbox transaction); every other VF reads its link register.
   */
  async checkLink(): Promise<LinkInfo> {
    this.#assertOpen();
    return this.#linkFromPf() ? this.getPfLinkState() : this.link();
  }

  /**
   * The link without mailbox traffic: the link register (VFLINKS / igb STATUS) — except on an E610 at API
   * ≥ 1.6, whose VFLINKS is stale: there, the last link the PF reported (checkLink(), the bring-up, a link
   * ping), and "down" until the PF has been asked since the last reset (ixgbevf reports no link while
   * get_link_status is pending).
   */
  link(): LinkInfo {
    this.#assertOpen();
    if (this.#linkFromPf()) return this.#pfLink === null ? { up: false, speedMbps: null, source: 'GET_PF_LINK_STATE' } : { ...this.#pfLink };
    const value = this.#regs.read32(this.family.regs.links) >>> 0;
    if (value === REMOVED_REGISTER_VALUE) throw this.#removed(this.family.regs.links);
    return decodeLinkRegister(value, this.family);
  }

  // Events -----------------------------------------------------------------------------------------

  /**
   * Addition: the interrupt handler's mailbox check, on demand (poll mode, the daemon's poll loop).
   * RSTI/RSTD → "needs reset" + `pf-reset`. A waiting PF message is read (1 word, ACKed):
   * 0x20000100 → `pf-message` + `link`; 0x00000100 or 0x40000000 → `pf-message` + `pf-reset` ("needs
   * reset"). While RSTI is set, or once a reset is needed, no PF message is read: every ACK of ours
   * would make a Linux PF send another bare NACK (§6.2); VF_RESET flushes what is pending. Runs under
   * the mailbox mutex, after any running request.
   */
  checkPfEvents(): Promise<PfEventCheck> {
    this.#assertOpen();
    return this.#mbx.exclusive((s) => this.#check(s));
  }

  async #check(s: MailboxSession): Promise<PfEventCheck> {
    const result: PfEventCheck = { pfReset: false, messages: [] };
    if (s.checkForRst()) {
      result.pfReset = true;
      this.#mbx.requireReset('the PF was reset (RSTI/RSTD)');
      if (this.#mbx.hasPfReset()) return result; // RSTI still set: touch nothing but VFMAILBOX
    }
    for (let i = 0; i < MAX_DRAIN_PER_CHECK; i += 1) {
      // Once a reset is needed, reading (ACKing) more PF words only makes a Linux PF answer each ACK
      // with another bare NACK (rcv_ack, §6.2) — an endless ping-pong. Leave PFSTS for VF_RESET to flush.
      if (this.#mbx.needsReset) break;
      const needed = this.#mbx.needsReset;
      const words = await s.readPending(1);
      if (words === null) break;
      result.messages.push(words[0]!);
      if (this.#mbx.needsReset && !needed) result.pfReset = true;
    }
    // The PF may have gone into reset while we read (its down path pings, then resets the hardware).
    if (!result.pfReset && s.checkForRst()) {
      result.pfReset = true;
      this.#mbx.requireReset('the PF was reset (RSTI/RSTD)');
    }
    return result;
  }

  #onInterrupt(): void {
    if (this.#closed || this.#checkQueued) return;
    this.#checkQueued = true;
    this.#mbx
      .exclusive((s) => {
        this.#checkQueued = false;
        return this.#closed ? Promise.resolve(null) : this.#check(s);
      })
      .catch(() => {
        // Device gone or PF not answering: the next explicit call reports it with a typed error.
        this.#checkQueued = false;
      });
  }

  #onUnsolicited(word: number): void {
    this.#emit('pf-message', word);
    const kind = classifyWord(word);
    if (kind.kind === 'control' && kind.cts) {
      if (this.#linkFromPf()) {
        // E610 at API ≥ 1.6: ask the PF (after the transaction that read the ping releases the mailbox).
        this.checkLink().then(
          (link) => this.#events.emit('link', link),
          () => undefined, // a failing query surfaces on the next call
        );
        return;
      }
      try {
        this.#emit('link', this.link());
      } catch {
        // removal surfaces on the next call
      }
    }
  }

  on<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this {
    this.#events.on(event, listener);
    return this;
  }

  off<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this {
    this.#events.off(event, listener);
    return this;
  }

  once<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this {
    this.#events.once(event, listener);
    return this;
  }

  /** Events are delivered on a microtask: never inside a mailbox transaction, and a throwing listener cannot break one. */
  #emit<E extends keyof VfEvents>(event: E, ...args: Parameters<VfEvents[E]>): void {
    queueMicrotask(() => this.#events.emit(event, ...args));
  }

  /** Stops listening to interrupts; idempotent. Does not touch the device. Later calls → ERR_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#mbx.close();
  }

  // Helpers ----------------------------------------------------------------------------------------

  async #call(r: Requirement, words: number[], replyWords: number, nack: NackKind): Promise<number[]> {
    this.#assertOpen();
    requireSupported(r, this.family, this.#api);
    const reply = await this.#mbx.writeMsgReadAck(words, Math.min(replyWords, this.family.replyWords));
    if (hasNack(reply[0]!)) throw nackError(nack, reply[0]!, this.#nackContext());
    return reply;
  }

  #nackContext(): NackContext {
    return { target: this.#target, family: this.family, api: this.#api, queues: this.#queues };
  }

  #flush(): void {
    const value = this.#regs.read32(this.family.regs.status) >>> 0;
    if (value === REMOVED_REGISTER_VALUE) throw this.#removed(this.family.regs.status);
  }

  #removed(offset: number): DeviceGoneError {
    return new DeviceGoneError('ERR_DEVICE_REMOVED', 'the VF reads 0xffffffff: the device was removed or is in reset', {
      hint: 'check `lspci` and the kernel log; the VF must be re-opened',
      details: { offset },
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new DeviceGoneError('ERR_CLOSED', 'this VF handle is closed');
  }
}
