/**
 * Mailbox register bits, word-0 flags and timing. Same bits on every family (ixgbe VFMAILBOX 0x2FC and
 * igb V2PMAILBOX 0xC40, reference §1.2 and §10.1); offsets live in the family maps.
 */

/** VFMAILBOX / V2PMAILBOX bits (reference §1.2). */
export const MbxBit = {
  /** VF→PF "message in VFMBMEM" doorbell. Write-trigger; write it ALONE (exactly 0x01) so VFU is released too (§3.2, §11.4 #2). */
  REQ: 0x01,
  /** VF→PF "your message was read" doorbell. Write-trigger; write it ALONE (exactly 0x02) (§3.2, §4.3). */
  ACK: 0x02,
  /** VF buffer lock: set only while PFU is clear; any VF write without it releases it (§3.2). */
  VFU: 0x04,
  /** Mirror of the PF's buffer lock (read only). */
  PFU: 0x08,
  /** PF wrote a message. Read-to-clear (§1.2). */
  PFSTS: 0x10,
  /** PF acknowledged the VF's message. Read-to-clear (§1.2). */
  PFACK: 0x20,
  /** PF reset in progress (level; cleared by hardware when the PF sets CTRL_EXT.PFRSTD, §3.3). */
  RSTI: 0x40,
  /** PF reset done. Read-to-clear (§1.2, §3.3). */
  RSTD: 0x80,
} as const;

/**
 * IXGBE_VFMAILBOX_R2C_BITS (reference §1.2): RSTD | PFSTS | PFACK. One read clears them in hardware,
 * so every read is folded into a software shadow and bits leave the shadow only when consumed.
 */
export const MBX_READ_TO_CLEAR_MASK = MbxBit.RSTD | MbxBit.PFSTS | MbxBit.PFACK;

/** PF-side PFMAILBOX / P2VMAILBOX bits (reference §2, §10.2). */
export const PfMbxBit = {
  STS: 0x01,
  ACK: 0x02,
  VFU: 0x04,
  PFU: 0x08,
  RVFU: 0x10,
} as const;

/** Word-0 layout (reference §5.1). */
export const MsgFlag = {
  /** IXGBE_VT_MSGTYPE_ACK / _SUCCESS: reply, request succeeded. */
  ACK: 0x80000000,
  /** IXGBE_VT_MSGTYPE_NACK / _FAILURE: reply, request refused. */
  NACK: 0x40000000,
  /** IXGBE_VT_MSGTYPE_CTS: the PF considers the VF clear-to-send (§5.1, §6.6). */
  CTS: 0x20000000,
} as const;

/** Bits a request must never carry: the PF ignores a word 0 with ACK or NACK set (§5.1, §11.4 #4). */
export const MSG_REPLY_FLAGS = MsgFlag.ACK | MsgFlag.NACK;
export const MSGINFO_SHIFT = 16;
export const MSGINFO_MASK = 0xff << MSGINFO_SHIFT;
export const MSG_ID_MASK = 0xffff;

/** The PF's bare NACK word from `ixgbe_rcv_ack_from_vf`: "you ACKed while not clear-to-send" (§6.2, §11.2). */
export const BARE_NACK_WORD = MsgFlag.NACK;

/** Words in VFMBMEM (IXGBE_VFMAILBOX_SIZE, reference §4.1). */
export const MAILBOX_WORDS = 16;

/** Mailbox timing, mirroring Linux (reference §4.1): 2000 polls × 500 µs ≈ 1 s per wait. */
export const MBX_POLL_COUNT = 2000;
export const MBX_POLL_DELAY_US = 500;
export const MBX_TIMEOUT_MS = (MBX_POLL_COUNT * MBX_POLL_DELAY_US) / 1000;

/**
 * Fallback timer between mailbox checks while waiting in interrupt mode, ms. With interrupts the timer is
 * only a safety net against a lost edge (the check runs before the wait subscribes): at Linux's 500 µs
 * (≈1 ms in Node) it always won the race against the MSI-X eventfd callback in the emulated rig (QEMU igb,
 * real Linux PF), so the interrupt path never mattered and every wait was a 1 ms poll. 10 ms lets the
 * interrupt do the waking and still bounds the cost of a lost interrupt to 10 ms per wait. Poll mode
 * (no interrupts) keeps MBX_POLL_DELAY_US.
 */
export const MBX_IRQ_FALLBACK_POLL_MS = 10;

/**
 * Waiting for RSTI/RSTD to clear after VFCTRL.RST: Linux uses 200 × 5 µs (§4.1, §7.2), DPDK sleeps 50 ms
 * first. Under emulation and on a busy PF that is far too short, so the default budget is 1 s of short
 * timer waits; a PF whose interface is down keeps RSTI set forever (§3.3) and this budget runs out.
 */
export const VF_RESET_RSTI_TIMEOUT_MS = 1000;

/**
 * The longest pause between two RSTI checks of that wait: the first check follows at 0.5 ms
 * (MBX_POLL_DELAY_US), then the pause doubles up to this. A PF in reset for 300 ms is then checked ~25
 * times instead of ~600 (2000 in the whole 1-s budget), at most 16 ms late. Interrupts are masked during
 * a VF reset (as ixgbevf_reset_hw_vf runs), so this wait is on timers; after it runs out the recovery
 * waits for the PF's interrupt.
 */
export const VF_RESET_RSTI_MAX_POLL_MS = 16;

/**
 * After a ping with CTS is read in place of the reply to a request the PF has already taken (PFACK), how
 * long the reply may still come before the request is sent again. The Linux PFs read a request (which
 * ACKs it) and write its reply in one uninterrupted stretch of their mailbox interrupt handler
 * (ixgbe_msix_other → ixgbe_msg_task → ixgbe_rcv_msg_from_vf; igb_msix_other → igb_msg_task →
 * igb_rcv_msg_from_vf), so the reply follows the ACK within microseconds on hardware (0.3 ms in the TCG
 * rig) or was overwritten by the ping already. A re-send after a reply that was only late is harmless:
 * the PF's reply write flushes the re-sent request's VFREQ (ixgbe_write_mbx_pf → ixgbe_check_for_msg_pf)
 * and so answers it, and it is the same request.
 */
export const PF_REPLY_GRACE_AFTER_PING_MS = 10;

/**
 * How many times one VF reset sends VF_RESET again after the PF began a reset of its own while it had the
 * message (RSTI during the wait), each time once the PF is back (RSTI clear within
 * VF_RESET_RSTI_TIMEOUT_MS). A PF that keeps resetting ends the reset with ResetRequiredError.
 */
export const MAX_VF_RESET_RESENDS_AFTER_PF_RESET = 3;

/**
 * While the PF holds the VF in reset (RSTI) after a VF reset gave up waiting for it, how often the
 * recovery reads VFMAILBOX to see the PF come back. The PF's "reset done" (CTRL_EXT.PFRSTD: RSTI clear,
 * RSTD set) raises no VF interrupt (QEMU's igb_set_ctrlext), and the stock igb PF's next ping comes with
 * its link, a second or more later: without this read the VF learns that the PF is back from the recovery's
 * 1–2 s fallback timer. One register read per period, only while the PF is away.
 */
export const PF_RESET_END_CHECK_MS = 50;

/** Register value of a device that fell off the bus (IXGBE_FAILED_READ_REG, §11.4 #14). */
export const REMOVED_REGISTER_VALUE = 0xffffffff;
