/**
 * The public shape of the VF protocol layer. `class Vf` (src/vf/vf.ts) implements `VfApi`; the CLI, the
 * daemon and library users program against this.
 */
import type { ApiVersion } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import type { XcastModeValue } from '../hw/messages.js';
import type { MailboxCounters } from '../mbx/counters.js';
import type { PfEventCheck } from './options.js';

export type XcastModeName = 'none' | 'multi' | 'allmulti' | 'promisc';

/** A MAC address as 6 bytes; text form `aa:bb:cc:dd:ee:ff` (lower case) everywhere in output. */
export type MacBytes = readonly [number, number, number, number, number, number];

export interface ResetResult {
  /** The MAC the PF assigned (admin MAC), or null when the PF NACKed (no admin MAC: pick your own). */
  permanentMac: string | null;
  /** Hash type for SET_MULTICAST (reference §5.4); igb has none (0). */
  mcFilterType: number;
}

export interface QueueInfo {
  txQueues: number;
  rxQueues: number;
  /** Traffic classes / port VLAN indication (IXGBE_VF_TRANS_VLAN). */
  transparentVlan: number;
  defaultQueue: number;
}

export interface LinkInfo {
  up: boolean;
  /** Mb/s, or null when unknown / down. */
  speedMbps: number | null;
  /** Where the answer came from. */
  source: 'VFLINKS' | 'STATUS' | 'GET_PF_LINK_STATE';
}

/** The mailbox's statistics; the type lives with the mailbox (src/mbx/counters.ts). */
export type { MailboxCounters };

export interface VfEvents {
  /** An unsolicited PF word (ping 0x100 with/without CTS, bare NACK …). */
  'pf-message': (word: number) => void;
  /** The PF was reset or CTS was lost: the VF must reset and re-apply its configuration. */
  'pf-reset': (reason: string) => void;
  /** Link state changed (a ping with CTS; the link from VFLINKS, or from the PF on an E610 at API ≥ 1.6). */
  link: (link: LinkInfo) => void;
}

export interface VfApi {
  readonly family: FamilyDescriptor;
  /** Negotiated API (1.0 until negotiateApi() succeeds; back to 1.0 after every reset). */
  readonly api: ApiVersion;
  /** Last reset result, null before the first reset. */
  readonly lastReset: ResetResult | null;
  readonly counters: Readonly<MailboxCounters>;
  /** True once the PF dropped clear-to-send (and, on igb only, after a timeout): the next request needs reset() first. */
  readonly needsReset: boolean;

  reset(): Promise<ResetResult>;
  /** Newest first (1.7 … 1.0); igb: no negotiation, stays 1.0. Returns the agreed version. */
  negotiateApi(): Promise<ApiVersion>;
  setMac(mac: string): Promise<void>;
  /** Returns how many addresses were programmed (the rest: see the doc of the implementation). */
  setMulticast(macs: readonly string[]): Promise<{ programmed: number; overflow: 'none' | 'allmulti' | 'truncated' }>;
  setVlan(id: number, on: boolean): Promise<void>;
  setMaxFrame(bytes: number): Promise<void>;
  setMtu(mtu: number): Promise<void>;
  /** index 0 clears all extra unicast filters, 1 starts a new list, >1 adds. */
  setMacvlan(index: number, mac: string | null): Promise<void>;
  /** Returns the mode the PF actually granted (an untrusted VF asking for more gets 'multi'). */
  setXcastMode(mode: XcastModeName): Promise<XcastModeName>;
  getQueues(): Promise<QueueInfo>;
  getReta(): Promise<number[]>;
  getRssKey(): Promise<Uint8Array>;
  /** GET_LINK_STATE: whether the admin lets the VF have link. */
  getLinkState(): Promise<boolean>;
  /** GET_PF_LINK_STATE (API 1.6+, E610 PF). */
  getPfLinkState(): Promise<LinkInfo>;
  /** FEATURES_NEGOTIATE (API 1.7): returns the agreed feature bits. */
  negotiateFeatures(features: number): Promise<number>;
  /**
   * The link as Linux ixgbevf_check_mac_link_vf gets it: GET_PF_LINK_STATE on an E610 at API ≥ 1.6
   * (its VFLINKS is stale), the link register otherwise.
   */
  checkLink(): Promise<LinkInfo>;
  /**
   * The link without mailbox traffic: VFLINKS (igb: STATUS); on an E610 at API ≥ 1.6 the last link the PF
   * reported (down until asked since the last reset).
   */
  link(): LinkInfo;

  /**
   * The interrupt handler's mailbox check, on demand: with `poll: true` (no interrupts) the only way PF
   * events (`pf-reset`, `link`, `pf-message`) arrive. Runs after any request in flight.
   */
  checkPfEvents(): Promise<PfEventCheck>;

  /**
   * Whether the PF holds the VF in reset now (RSTI: the PF is down or resetting). One VFMAILBOX read after
   * any request in flight; consumes nothing. The PF's coming back (RSTI clear) raises no interrupt.
   */
  isPfHoldingReset(): Promise<boolean>;

  on<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this;
  once<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this;
  off<E extends keyof VfEvents>(event: E, listener: VfEvents[E]): this;
  /** Stop listening to interrupts; idempotent. Does not touch the device (its owner closes it). */
  close(): void;
}

export const XCAST_MODE_VALUES: Record<XcastModeName, XcastModeValue> = { none: 0, multi: 1, allmulti: 2, promisc: 3 };
