/**
 * `class Vf`: the VF side of the PF↔VF mailbox protocol (reference §5, §7), over `RegisterIo` and
 * `IrqSource` only; implements the `VfApi` contract (types.ts). A thin facade: each operation checks its
 * arguments (arguments.ts), then runs the message described in src/vf/messages/ through the mailbox
 * (`#send`, transaction.ts: the gates, one transaction, a NACK turned into PfNackError with its explanation); it
 * owns only the state the PF's answers leave (API, features, queues, xcast mode, the E610 link) and the
 * events. Lifecycle: `reset()` then `negotiateApi()` — in practice `resetAndNegotiate()` (bring-up.ts). The
 * PF forgets the API on every VF reset (§5.3); reset() does not renegotiate by itself. docs/protocol.md
 * describes the protocol and every deliberate difference from the kernel.
 */
import { DeviceGoneError, PfNackError } from '../errors.js';
import { ApiVersion, NEGOTIATION_ORDER } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { MbxBit, VF_RESET_RSTI_TIMEOUT_MS } from '../hw/mailbox.js';
import { noIrqs, systemClock, type RegisterIo } from '../io.js';
import { classifyWord } from '../mbx/codec.js';
import { mailboxClosed } from '../mbx/failures.js';
import { Mailbox } from '../mbx/mailbox.js';
import type { MailboxDiscipline } from '../mbx/ops.js';
import * as args from './arguments.js';
import { readRegister } from './device.js';
import { VfEventSource } from './events.js';
import { decodeLinkRegister, linkComesFromPf } from './link.js';
import { IXGBEVF_SUPPORTED_FEATURES, MESSAGES, featuresImpliedBy, type MessageSpec } from './messages/index.js';
import { followMulticastOverflow, type MulticastOverflow, type XcastMemory } from './multicast-overflow.js';
import type { PfEventCheck, VfOptions } from './options.js';
import { drainPfEvents } from './pf-events.js';
import type { RemedyTarget } from './remedy.js';
import { checkArgumentGate, checkMessageGate, mailboxOpsFor, transact, type TransactionContext } from './transaction.js';
import { resetVf } from './reset.js';
import type { LinkInfo, MailboxCounters, QueueInfo, ResetResult, VfApi, XcastModeName } from './types.js';

export type { PfEventCheck, VfOptions } from './options.js';


export class Vf extends VfEventSource implements VfApi {
  readonly family: FamilyDescriptor;
  readonly #regs: RegisterIo;
  readonly #mbx: Mailbox;
  readonly #interrupts: boolean;
  readonly #resetTimeoutMs: number;
  readonly #target: RemedyTarget;
  readonly #unsubscribe: () => void;
  #api: ApiVersion = ApiVersion.V1_0;
  #lastReset: ResetResult | null = null;
  #pfFeatures = 0;
  readonly #xcast: XcastMemory = { granted: null, beforeOverflow: null };
  /** The last GET_QUEUES answer since the last reset (traffic classes explain a SET_VLAN NACK). */
  #queues: QueueInfo | null = null;
  /** E610 at API ≥ 1.6: the last link the PF reported (GET_PF_LINK_STATE); null = not asked since the reset. */
  #pfLink: LinkInfo | null = null;
  #checkQueued = false;
  #closed = false;
  /** The kernel asked for the device back (released()): new calls fail fast with ERR_RELEASED. */
  #released = false;

  constructor(opts: VfOptions) {
    super();
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
      onResetRequired: (reason) => this.emitLater('pf-reset', reason),
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
    return this.#xcast.granted;
  }

  // Reset and negotiation -------------------------------------------------------------------------

  /**
   * VF reset (reference §7.2, reset.ts): CTRL.RST, the wait for the PF, VF_RESET. ACK → the admin MAC, NACK →
   * no admin MAC (null). Afterwards the API is 1.0 and the mailbox legacy: call negotiateApi() next.
   */
  async reset(): Promise<ResetResult> {
    this.#assertOpen();
    return this.#mbx.exclusive(async (s) => {
      // The PF forgets the negotiated API (and with it the features and queues) on every VF reset.
      this.#api = ApiVersion.V1_0;
      this.#pfFeatures = 0;
      this.#queues = null;
      this.#pfLink = null;
      const target = { regs: this.#regs, family: this.family, mbx: this.#mbx, interrupts: this.#interrupts, resetTimeoutMs: this.#resetTimeoutMs, target: this.#target };
      this.#lastReset = await resetVf(s, target);
      return { ...this.#lastReset };
    });
  }

  /**
   * API negotiation, newest first (NEGOTIATION_ORDER, ixgbevf_negotiate_api): a NACK moves on, the first ACK
   * wins, all NACKed leaves 1.0 (no error). At 1.7 the features too (IXGBEVF_SUPPORTED_FEATURES); then the
   * discipline (locked only for 1.5, or 1.7 with ESX_MBX). igb has none: 1.0 without sending anything.
   */
  async negotiateApi(): Promise<ApiVersion> {
    this.#assertOpen();
    if (!this.family.negotiatesApi) {
      this.#api = ApiVersion.V1_0;
      return this.#api;
    }
    checkMessageGate(MESSAGES.API_NEGOTIATE, this.family, ApiVersion.V1_0);
    return this.#mbx.exclusive(async (s) => {
      let agreed: ApiVersion = ApiVersion.V1_0;
      for (const api of NEGOTIATION_ORDER) {
        if (await transact(s, MESSAGES.API_NEGOTIATE, { api }, this.#context())) {
          agreed = api;
          break;
        }
      }
      this.#api = agreed;
      this.#pfFeatures = featuresImpliedBy(agreed);
      if (agreed === ApiVersion.V1_7) {
        try {
          this.#pfFeatures = await transact(s, MESSAGES.FEATURES_NEGOTIATE, { features: IXGBEVF_SUPPORTED_FEATURES }, this.#context());
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
    args.checkFeatureMask(features);
    checkMessageGate(MESSAGES.FEATURES_NEGOTIATE, this.family, this.#api);
    return this.#mbx.exclusive(async (s) => {
      this.#pfFeatures = await transact(s, MESSAGES.FEATURES_NEGOTIATE, { features }, this.#context());
      this.#selectOps();
      return this.#pfFeatures;
    });
  }

  #selectOps(): void {
    this.#mbx.setOps(mailboxOpsFor(this.#api, this.#pfFeatures));
  }

  // Configuration ----------------------------------------------------------------------------------

  /** SET_MAC_ADDR (igb: MSGINFO 0, the primary address). Rejects multicast and all-zero locally. */
  async setMac(mac: string): Promise<void> {
    await this.#send(MESSAGES.SET_MAC_ADDR, { mac: args.checkUnicastMac(mac) });
  }

  /**
   * SET_MULTICAST with the 12-bit hashes of `macs` (multicast addresses only), per the mc_filter_type of the
   * last reset; `programmed` is the number of hashes sent (≤ 30), `overflow` what became of the rest
   * (multicast-overflow.ts).
   */
  async setMulticast(macs: readonly string[]): Promise<{ programmed: number; overflow: MulticastOverflow }> {
    const plan = args.planMulticast(macs, this.family, this.#lastReset?.mcFilterType ?? 0);
    checkMessageGate(MESSAGES.SET_MULTICAST, this.family, this.#api);
    await this.#send(MESSAGES.SET_MULTICAST, plan);
    const overflow = await followMulticastOverflow(plan.over, this.family, this.#api, this.#xcast, (mode) => this.#xcastIxgbe(mode));
    return { programmed: plan.hashes.length, overflow };
  }

  /** SET_VLAN: add (`on`) or remove VLAN `id` (0..4094; the PF masks with 0xFFF). */
  async setVlan(id: number, on: boolean): Promise<void> {
    args.checkVlan(id, on);
    await this.#send(MESSAGES.SET_VLAN, { id, on });
  }

  /** Largest max frame this VF may ask for now: 82599 at API 1.0 is limited to MTU 1504 (reference §5.4). */
  get maxFrameLimit(): number {
    return args.maxFrameLimit(this.family, this.#api);
  }

  /** SET_LPE with the max frame in bytes (MTU + 18): 86..9728 (82599 at API 1.0: ..1522), ixgbevf's window (arguments.ts). */
  async setMaxFrame(bytes: number): Promise<void> {
    args.checkMaxFrame(bytes, this.maxFrameLimit, this.#target);
    await this.#send(MESSAGES.SET_LPE, { maxFrame: bytes });
  }

  /** SET_LPE for an MTU (MTU_MIN..MTU_MAX, src/hw/messages.ts): sends MTU + 14 (Ethernet header) + 4 (FCS), as ixgbevf_change_mtu. */
  async setMtu(mtu: number): Promise<void> {
    args.checkMtu(mtu, this.maxFrameLimit, this.#target);
    await this.setMaxFrame(mtu + args.ETH_OVERHEAD);
  }

  /** SET_MACVLAN: index 0 clears every extra unicast filter (mac ignored), 1 starts a new list, > 1 adds (≤ 255). */
  async setMacvlan(index: number, mac: string | null): Promise<void> {
    await this.#send(MESSAGES.SET_MACVLAN, { index, mac: args.checkMacvlan(index, mac) });
  }

  /**
   * UPDATE_XCAST_MODE (ixgbe, API ≥ 1.2; promisc ≥ 1.3). Returns the mode the PF granted (reply word 1):
   * an untrusted VF asking for allmulti/promisc is silently given 'multi'. igb: SET_PROMISC with the
   * multicast flag for 'allmulti', without it for 'none'/'multi'; 'promisc' is not supported there.
   */
  async setXcastMode(mode: XcastModeName): Promise<XcastModeName> {
    args.checkXcastMode(mode);
    this.#xcast.beforeOverflow = null;
    if (this.family.kind === 'igbvf') return this.#xcastIgb(mode);
    return this.#xcastIxgbe(mode);
  }

  async #xcastIxgbe(mode: XcastModeName): Promise<XcastModeName> {
    this.#xcast.granted = await this.#send(MESSAGES.UPDATE_XCAST_MODE, { mode });
    return this.#xcast.granted;
  }

  async #xcastIgb(mode: XcastModeName): Promise<XcastModeName> {
    args.checkIgbXcastMode(mode);
    this.#xcast.granted = await this.#send(MESSAGES.SET_PROMISC, { mode });
    return this.#xcast.granted;
  }

  // Queries ----------------------------------------------------------------------------------------

  /** GET_QUEUES (API ≥ 1.1), sanitised as ixgbevf does (0 or > 8 queues → 8; TCs > rx → 1; def_q ≥ tx → 0). */
  async getQueues(): Promise<QueueInfo> {
    this.#queues = await this.#send(MESSAGES.GET_QUEUES, {});
    return { ...this.#queues };
  }

  /** GET_RETA (API ≥ 1.2, 82599/X540 PF with query_rss on): 128 two-bit entries. */
  getReta(): Promise<number[]> {
    return this.#send(MESSAGES.GET_RETA, {});
  }

  /** GET_RSS_KEY (API ≥ 1.2, 82599/X540 PF with query_rss on): the 40-byte key. */
  getRssKey(): Promise<Uint8Array> {
    return this.#send(MESSAGES.GET_RSS_KEY, {});
  }

  /** GET_LINK_STATE (API ≥ 1.2): whether the administrator lets the VF have link. */
  getLinkState(): Promise<boolean> {
    return this.#send(MESSAGES.GET_LINK_STATE, {});
  }

  /** GET_PF_LINK_STATE (API ≥ 1.6, E610 PF only). On an E610 the answer is also what link() reports next. */
  async getPfLinkState(): Promise<LinkInfo> {
    const link = await this.#send(MESSAGES.GET_PF_LINK_STATE, {});
    if (this.#linkFromPf()) this.#pfLink = link;
    return { ...link };
  }

  #linkFromPf(): boolean {
    return linkComesFromPf(this.family, this.#api);
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
    return decodeLinkRegister(readRegister(this.#regs, this.family.regs.links), this.family);
  }

  // Events -----------------------------------------------------------------------------------------

  /**
   * Addition: the interrupt handler's mailbox check on demand (poll mode, the daemon's poll loop), under the
   * mailbox mutex after any running request (pf-events.ts): RSTI/RSTD or a PF word → `pf-reset` / `link`.
   */
  checkPfEvents(): Promise<PfEventCheck> {
    this.#assertOpen();
    return this.#mbx.exclusive((s) => drainPfEvents(this.#mbx, s));
  }

  isPfHoldingReset(): Promise<boolean> {
    this.#assertOpen();
    return this.#mbx.exclusive((s) => Promise.resolve((s.readStatus() & MbxBit.RSTI) !== 0));
  }

  #onInterrupt(): void {
    if (this.#closed || this.#checkQueued) return;
    this.#checkQueued = true;
    this.#mbx
      .exclusive((s) => {
        this.#checkQueued = false;
        return this.#closed ? Promise.resolve(null) : drainPfEvents(this.#mbx, s);
      })
      .catch(() => {
        // Device gone or PF not answering: the next explicit call reports it with a typed error.
        this.#checkQueued = false;
      });
  }

  #onUnsolicited(word: number): void {
    this.emitLater('pf-message', word);
    const kind = classifyWord(word);
    if (kind.kind === 'control' && kind.cts) {
      if (this.#linkFromPf()) {
        // E610 at API ≥ 1.6: ask the PF (after the transaction that read the ping releases the mailbox).
        this.checkLink().then(
          (link) => this.emitNow('link', link),
          () => undefined, // a failing query surfaces on the next call
        );
        return;
      }
      try {
        this.emitLater('link', this.link());
      } catch {
        // removal surfaces on the next call
      }
    }
  }

  /**
   * Addition: the kernel asked for the device back (VFIO's request notifier: an unbind, `sriov_numvfs`
   * written). The PF may already have stopped answering (ixgbe disables SR-IOV first), so a new call fails
   * at once with ERR_RELEASED instead of a mailbox timeout that blames the PF. The owner still closes.
   */
  released(): void {
    this.#released = true;
  }

  /** Stops listening to interrupts; idempotent. Does not touch the device. Later calls → ERR_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#mbx.close();
  }

  // Helpers ----------------------------------------------------------------------------------------

  /** Runs one described message: its gates (nothing sent when one fails), then one transaction (transaction.ts). */
  async #send<A, R>(spec: MessageSpec<string, A, R>, request: A): Promise<R> {
    checkArgumentGate(spec, request, this.family, this.#api);
    this.#assertOpen();
    checkMessageGate(spec, this.family, this.#api);
    return transact(this.#mbx, spec, request, this.#context());
  }

  #context(): TransactionContext {
    return { target: this.#target, family: this.family, api: this.#api, queues: this.#queues, mcFilterType: this.#lastReset?.mcFilterType ?? 0 };
  }

  /** The same ERR_CLOSED (with its hint) as a request that was still queued when close() ran. */
  #assertOpen(): void {
    if (this.#closed) throw mailboxClosed();
    if (this.#released) {
      throw new DeviceGoneError('ERR_RELEASED', 'the kernel asked for this VF back (an unbind or a sriov_numvfs change): close the handle', {
        hint: 'await handle.close(); once the VF is back on vfio-pci (ixgbevf list), openVf it again',
      });
    }
  }
}
