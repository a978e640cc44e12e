/**
 * A family descriptor holds everything that differs between VF families: register offsets, reply sizes,
 * which messages exist, and how the mailbox interrupt is routed (design.md, "Families").
 */

export type FamilyKind = 'ixgbevf' | 'igbvf';
export type VfModel = '82599' | 'X540' | 'X550' | 'X550EM_x' | 'X550EM_a' | 'E610' | '82576' | 'I350';

export interface VfRegisterMap {
  /** VFCTRL / CTRL: software reset bit lives here. */
  readonly ctrl: number;
  /** VFSTATUS / STATUS: read to flush posted writes; on igb it also carries link. */
  readonly status: number;
  /** Register carrying link up/speed (ixgbe VFLINKS, igb STATUS). */
  readonly links: number;
  /** VFMAILBOX / V2PMAILBOX. */
  readonly mailbox: number;
  /** VFMBMEM / VMBMEM: first of the 16 shared words. */
  readonly mailboxMemory: number;
  readonly eicr: number;
  readonly eics: number;
  readonly eims: number;
  readonly eimc: number;
  readonly eiac: number;
  readonly eiam: number;
  /** IVAR for the "other" (mailbox) cause: bits 7:0 = vector | valid. */
  readonly ivarMisc: number;
}

export interface LinkBits {
  readonly up: number;
  readonly speedMask: number;
  /** speed code (register & speedMask) → Mb/s. */
  readonly speeds: Readonly<Record<number, number>>;
  /** X550-class: with the 10G code → 2.5G, with the 100M code → 5G (reference §1.4). */
  readonly nonStandard?: number;
}

export interface FamilyDescriptor {
  readonly kind: FamilyKind;
  readonly model: VfModel;
  readonly deviceId: number;
  readonly regs: VfRegisterMap;
  /** CTRL.RST, the VF software reset bit. */
  readonly ctrlReset: number;
  readonly link: LinkBits;
  /** Words in the VF_RESET reply (ixgbe 4, igb 3). */
  readonly resetReplyWords: number;
  /** Words the PF writes in an ordinary reply (Linux ixgbe 16, igb 1). */
  readonly replyWords: number;
  /** Whether the PF speaks API_NEGOTIATE (igb NACKs 0x08: treat as API 1.0). */
  readonly negotiatesApi: boolean;
  /** Message IDs the family's PF dispatches. */
  readonly messages: ReadonlySet<number>;
  readonly irq: {
    /** MSI-X vectors the VF has. */
    readonly vectors: number;
    /** The vector the mailbox cause is routed to; never 0 (QEMU igb bug, reference §10.4). */
    readonly mailboxVector: number;
    /** IVAR valid bit (IXGBE_IVAR_ALLOC_VAL / E1000_IVAR_VALID). */
    readonly ivarValid: number;
    /** Value masking every cause in EIMC. */
    readonly maskAll: number;
    /**
     * Vectors unmasked (EIMS) and auto-cleared (EIAC) when the mailbox interrupt is enabled. ixgbe: only
     * the mailbox vector. igb: all three, as igbvf does — QEMU's igb delivers the mailbox cause on another
     * vector than the one programmed (reference §10.4), and a masked vector would swallow it.
     */
    readonly enableMask: number;
  };
  /** ixgbevf mac-type ordering: true for X550 and later (VFRETA/VFRSSRK in registers, 10M code). */
  readonly isX550Class: boolean;
  /** How the family's Linux VF driver runs a legacy-discipline transaction (see MailboxPolicy). */
  readonly mailboxPolicy: MailboxPolicy;
}

/**
 * The two places where the Linux VF drivers of the two families differ in running a transaction:
 * - `writeWaitsForPfAck`: igbvf's write_posted polls for PFACK after ringing REQ (e1000_write_posted_mbx);
 *   current ixgbevf writes and goes straight to polling for the reply (ixgbevf_write_mbx →
 *   ixgbevf_write_mbx_vf_legacy, then ixgbevf_poll_mbx).
 * - `timeoutIsSticky`: igbvf zeroes `mbx->timeout` when a poll runs out (e1000_poll_for_msg / _ack), so
 *   every later request fails until the next VF reset; current ixgbevf returns the timeout for that call
 *   only and sends the next request normally (ixgbevf_poll_for_msg / _ack leave the timeout alone).
 */
export interface MailboxPolicy {
  readonly writeWaitsForPfAck: boolean;
  readonly timeoutIsSticky: boolean;
}

/**
 * PF-side mailbox registers in the **PF's** BAR0 (reference §2 for ixgbe, §10.2 for igb). Only a
 * software PF (the simulator) uses these; the VF driver never touches PF registers.
 */
export interface PfMailboxRegisterMap {
  /** PF CTRL and its software-reset bit (a PF reset sets RSTI in every VF, §3.3). */
  readonly ctrl: number;
  readonly ctrlReset: number;
  /** CTRL_EXT and PFRSTD ("PF reset done": clears RSTI, sets RSTD in every VF, §3.3). */
  readonly ctrlExt: number;
  readonly pfrstd: number;
  /** PFMAILBOX(vf) / P2VMAILBOX(vf) = mailboxBase + mailboxStride·vf. */
  readonly mailboxBase: number;
  readonly mailboxStride: number;
  /** PFMBMEM(vf) / VMBMEM(vf) = memoryBase + memoryStride·vf (16 words each). */
  readonly memoryBase: number;
  readonly memoryStride: number;
  /** MBVFICR(i) = mbvficrBase + 4·i with i = vf / vfsPerMbvficr; VFREQ bit vf % n, VFACK bit vfackShift + vf % n (W1C). */
  readonly mbvficrBase: number;
  readonly vfsPerMbvficr: number;
  readonly vfackShift: number;
  /** VFLRE register read by the 82599-style PF, one per 32 VFs (ixgbe: 0x600, 0x1C0; igb: 0xC88). */
  readonly vflre: readonly number[];
  /** VFLREC (W1C, also readable) = vflrecBase + 4·(vf / 32); on igb the same register as VFLRE. */
  readonly vflrecBase: number;
  readonly maxVfs: number;
}
