/**
 * The two Linux PF dialects as tables of differences: every rule in which the stock `ixgbe` PF
 * (ixgbe_sriov.c, ixgbe_mbx.c) and the stock `igb` PF (igb_main.c, e1000_mbx.c) treat a VF's mailbox
 * differently is one named entry here, with the kernel function it mirrors. The policy core
 * (pf-policy.ts) reads these; what each dialect's messages do is in its handler table
 * (ixgbe-handlers.ts, igb-handlers.ts).
 */
import { MAILBOX_WORDS } from '../hw/mailbox.js';
import { IGB_NACK_SILENCE_MS, IGB_PF_LOCK_ATTEMPTS, IGB_PF_LOCK_DELAY_MS, IGB_RESET_REPLY_WORDS, IXGBE_RESET_REPLY_WORDS } from '../hw/messages.js';

export interface PfDialectRules {
  readonly name: 'ixgbe' | 'igb';
  /**
   * Attempts to take the PF's side of the mailbox lock, and the wait after each failed one:
   * ixgbe_obtain_mbx_lock_pf tries once; igb_obtain_mbx_lock_pf retries (10 + 1 attempts, 1 ms apart).
   */
  readonly lockAttempts: number;
  readonly lockRetryDelayMs: number;
  /**
   * The PF's read of a VF message keeps PFU (writes ACK | PFU) until its reply or an explicit unlock
   * releases it: igb_read_mbx_pf(…, unlock = false) from igb_rcv_msg_from_vf. ixgbe_read_mbx_pf writes ACK,
   * which releases PFU at once.
   */
  readonly readKeepsLock: boolean;
  /**
   * After NACKing a VF that is not clear to send, the PF stays silent this long (ms) before it NACKs again:
   * igb_rcv_ack_from_vf and igb_rcv_msg_from_vf test time_after(jiffies, last_nack + 2 * HZ). null: every
   * such message and ACK is NACKed (ixgbe_rcv_ack_from_vf, ixgbe_rcv_msg_from_vf).
   */
  readonly nackSilenceMs: number | null;
  /**
   * A message the PF failed to read (lock not obtained) revokes CTS and is answered with a bare NACK (outside
   * the silence window): igb_rcv_msg_from_vf. ixgbe_rcv_msg_from_vf only returns the error.
   */
  readonly readFailureRevokesCts: boolean;
  /**
   * Words written back with ACK/NACK: ixgbe the whole buffer (ixgbe_rcv_msg_from_vf writes mbx_size words),
   * igb word 0 only (igb_rcv_msg_from_vf writes 1 word).
   */
  readonly replyWords: number;
  /** VF_RESET reply length: ixgbe IXGBE_VF_PERMADDR_MSG_LEN (4, mc_filter_type in word 3), igb 3. */
  readonly resetReplyWords: number;
  /**
   * VF_RESET is ACKed with the stored MAC only when the administrator set it (ixgbe_vf_reset_msg tests
   * pf_set_mac), or whenever a MAC is stored (igb_vf_reset_msg); otherwise NACK, and the VF picks its own.
   */
  readonly resetAcksAdminMacOnly: boolean;
  readonly resetNackReason: string;
  /**
   * A trust change drops CTS and pings the VF without CTS, so it must reset (ixgbe_ndo_set_vf_trust);
   * igb_ndo_set_vf_trust only sets the flag.
   */
  readonly trustChangeResetsVf: boolean;
}

export const IXGBE_RULES: PfDialectRules = {
  name: 'ixgbe',
  lockAttempts: 1,
  lockRetryDelayMs: 0,
  readKeepsLock: false,
  nackSilenceMs: null,
  readFailureRevokesCts: false,
  replyWords: MAILBOX_WORDS,
  resetReplyWords: IXGBE_RESET_REPLY_WORDS,
  resetAcksAdminMacOnly: true,
  resetNackReason: 'no administrator MAC: RESET answered NACK (VF picks its own)',
  trustChangeResetsVf: true,
};

export const IGB_RULES: PfDialectRules = {
  name: 'igb',
  lockAttempts: IGB_PF_LOCK_ATTEMPTS,
  lockRetryDelayMs: IGB_PF_LOCK_DELAY_MS,
  readKeepsLock: true,
  nackSilenceMs: IGB_NACK_SILENCE_MS,
  readFailureRevokesCts: true,
  replyWords: 1,
  resetReplyWords: IGB_RESET_REPLY_WORDS,
  resetAcksAdminMacOnly: false,
  resetNackReason: 'no MAC stored: RESET answered NACK',
  trustChangeResetsVf: false,
};
