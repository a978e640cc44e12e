/**
 * The VF's look at what the PF did outside a request (the interrupt handler's mailbox check, and
 * `checkPfEvents()` in poll mode): RSTI/RSTD mean the PF was reset; a waiting PF word is read and ACKed
 * (the mailbox classifies it: a ping without CTS or a bare NACK means "needs reset"), at most a few per
 * call; once a reset is needed nothing more is read, since every ACK would draw another bare NACK from a
 * Linux PF (§6.2), and VF_RESET flushes what is pending.
 */
import { MbxBit } from '../hw/mailbox.js';
import type { Mailbox, MailboxSession } from '../mbx/mailbox.js';
import type { PfEventCheck } from './options.js';

/** Unsolicited messages read per check at most (each read takes a lock round). */
const MAX_DRAIN_PER_CHECK = 4;

export async function drainPfEvents(mbx: Mailbox, s: MailboxSession): Promise<PfEventCheck> {
  const result: PfEventCheck = { pfReset: false, messages: [] };
  // The common case — an interrupt whose cause the request that was running has already handled (its
  // PFACK or reply) — costs one register read: nothing of the PF's shows, nothing to do.
  if ((s.readStatus() & (MbxBit.RSTI | MbxBit.RSTD | MbxBit.PFSTS)) === 0) return result;
  if (s.checkForRst()) {
    result.pfReset = true;
    mbx.requireReset('the PF was reset (RSTI/RSTD)');
    if (mbx.hasPfReset()) return result; // RSTI still set: touch nothing but VFMAILBOX
  }
  for (let i = 0; i < MAX_DRAIN_PER_CHECK; i += 1) {
    // Once a reset is needed, reading (ACKing) more PF words only makes a Linux PF answer each ACK
    // with another bare NACK (rcv_ack, §6.2) — an endless ping-pong. Leave PFSTS for VF_RESET to flush.
    if (mbx.needsReset) break;
    const needed = mbx.needsReset;
    const words = await s.readPending(1);
    if (words === null) break;
    result.messages.push(words[0]!);
    if (mbx.needsReset && !needed) result.pfReset = true;
  }
  // The PF may have gone into reset while we read (its down path pings, then resets the hardware).
  if (!result.pfReset && s.checkForRst()) {
    result.pfReset = true;
    mbx.requireReset('the PF was reset (RSTI/RSTD)');
  }
  return result;
}
