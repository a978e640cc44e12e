/**
 * The VF reset sequence (reference §7.2, `ixgbevf_reset_hw_vf` / `e1000_reset_hw_vf`), run inside one
 * mailbox session: mask the VF's interrupts, back to the legacy discipline, CTRL.RST, wait until the PF
 * is out of reset (RSTI clear; a PF whose interface is down keeps it set), program the mailbox interrupt
 * (so the reset reply already comes with MSI-X; CTRL.RST is what can clear those registers; also when the
 * PF stays in reset, so its return raises the next event), then the VF_RESET message
 * (src/vf/messages/reset.ts) and its reply, sent again once the PF is back when the PF began a reset of
 * its own while it had it (docs/protocol.md §10 #17). The Vf facade forgets its negotiated state.
 */
import { PfResetTimeoutError, ResetRequiredError } from '../errors.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { MAX_VF_RESET_RESENDS_AFTER_PF_RESET } from '../hw/mailbox.js';
import type { RegisterIo } from '../io.js';
import { hex32, withoutCts } from '../mbx/codec.js';
import { isPfResetDuringVfReset } from '../mbx/failures.js';
import type { Mailbox, MailboxSession } from '../mbx/mailbox.js';
import { legacyOps } from '../mbx/ops-legacy.js';
import { readRegister } from './device.js';
import { enableMailboxInterrupt, maskInterrupts } from './interrupts.js';
import { vfReset } from './messages/index.js';
import { renderRemedies, type Remedy, type RemedyTarget } from './remedy.js';
import type { ResetResult } from './types.js';

export interface ResetTarget {
  readonly regs: RegisterIo;
  readonly family: FamilyDescriptor;
  readonly mbx: Mailbox;
  /** Interrupt mode: program the mailbox vector once the PF is out of reset. */
  readonly interrupts: boolean;
  /** Budget for RSTI to clear after CTRL.RST, ms. */
  readonly resetTimeoutMs: number;
  /** Where a fix is applied (for the "PF still in reset" hint). */
  readonly target: RemedyTarget;
}

export async function resetVf(s: MailboxSession, t: ResetTarget): Promise<ResetResult> {
  const { regs, family, mbx } = t;
  maskInterrupts(regs, family);
  mbx.setOps(legacyOps);
  regs.write32(family.regs.ctrl, family.ctrlReset);
  readRegister(regs, family.regs.status); // flush the posted write; all ones = the device is gone
  await waitForPfOutOfReset(s, t);
  if (t.interrupts) enableMailboxInterrupt(regs, family);
  const reply = await sendVfReset(s, t);
  const result = vfReset.decode(reply, family);
  if (result === null) {
    mbx.requireReset(`unexpected VF_RESET reply ${hex32(withoutCts(reply[0] ?? 0))}`, false);
    throw new ResetRequiredError(`the PF answered VF_RESET with ${hex32(reply[0] ?? 0)}, neither ACK nor NACK`, {
      hint: 'retry the reset; if it persists, check the PF kernel log (`dmesg`)',
      details: { reply: reply.map(hex32) },
    });
  }
  return result;
}

/**
 * Waits until the PF is out of reset (RSTI clear) within the reset budget; a PF still in reset is
 * PfResetTimeoutError, with the mailbox interrupt armed so that the PF's return raises the next event.
 */
async function waitForPfOutOfReset(s: MailboxSession, t: ResetTarget): Promise<void> {
  const { regs, family, mbx } = t;
  // RSTD alone means the PF has just finished its reset; the read cleared it (read-to-clear), so the next
  // read is clear. Read it now, not one pause later (the pause grows to VF_RESET_RSTI_MAX_POLL_MS): as
  // ixgbevf_reset_hw_vf's loop, which reads again 5 µs later. RSTI still set shows again: keep waiting.
  const settled = await s.waitUntil(() => !s.checkForRst() || !s.checkForRst(), t.resetTimeoutMs);
  if (!settled) {
    mbx.requireReset('the PF is still in reset (RSTI)', false);
    // The PF's return (PFRSTD: RSTD, then its ping) must raise the next `pf-reset`, or a caller that waits
    // for it waits forever: arm the mailbox interrupt masked above, as ixgbevf_reinit_locked re-enables
    // the interrupts in ixgbevf_up() after a failed ixgbevf_reset().
    if (t.interrupts) armAfterFailedReset(regs, family);
    const remedies: Remedy[] = [{ kind: 'pf', setting: 'up' }];
    throw new PfResetTimeoutError('PF still in reset: is the PF interface up?', {
      hint: renderRemedies(remedies, t.target),
      details: { waitedMs: t.resetTimeoutMs, remedies },
    });
  }
  mbx.clearNeedsReset();
}

/**
 * VF_RESET and its reply. When the PF begins a reset of its own while it has the message (RSTI during the
 * wait; the stock igb PF does this on `ip link set <pf> down`: the going-down ping the VF reacts to comes
 * before igb_reset's hardware reset, which drops the mailbox), wait for the PF to come back and send it
 * again, at most MAX_VF_RESET_RESENDS_AFTER_PF_RESET times: igbvf would wait out its mailbox budget and
 * its watchdog would retry seconds later.
 */
async function sendVfReset(s: MailboxSession, t: ResetTarget): Promise<number[]> {
  for (let resent = 0; ; resent += 1) {
    try {
      // No fixed sleep before polling for the reply (ixgbevf_reset_hw_vf mdelay(10)s there): the posted read
      // waits for PFSTS anyway, and the stock ixgbe PF's reply is in within ~1 ms (docs/protocol.md §10 #16).
      return await s.writeMsgReadAck(vfReset.encode(), vfReset.replyWords(t.family));
    } catch (err) {
      if (!isPfResetDuringVfReset(err) || resent >= MAX_VF_RESET_RESENDS_AFTER_PF_RESET) throw err;
      await waitForPfOutOfReset(s, t);
      // The PF's reset reset the VF's interrupt registers as well: program the mailbox interrupt again.
      if (t.interrupts) enableMailboxInterrupt(t.regs, t.family);
    }
  }
}

/** Arms the mailbox interrupt after a reset that found the PF in reset; a removed device surfaces on the next call. */
function armAfterFailedReset(regs: RegisterIo, family: FamilyDescriptor): void {
  try {
    enableMailboxInterrupt(regs, family);
  } catch {
    // closed or removed: the next request reports it with its typed error
  }
}
