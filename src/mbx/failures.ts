/**
 * The typed errors the mailbox raises, with their one-line causes and fix hints: a timeout, the PF's loss
 * of clear-to-send, a PF reset during a request, a PF that keeps talking past the reply, and a request
 * while the VF needs a reset. Kept apart from the transaction logic in mailbox.ts.
 */
import { DeviceGoneError, MailboxTimeoutError, ResetRequiredError } from '../errors.js';
import { MsgId } from '../hw/messages.js';
import { hex32, messageId } from './codec.js';
import type { WaitPhase } from './ops.js';

const PHASE_TEXT: Record<WaitPhase, string> = {
  lock: 'the mailbox lock (VFU)',
  'pf-ack': 'the PF to take the message (PFACK)',
  'pf-message': 'the reply (PFSTS)',
};

/** Why the PF's word means "not clear to send" (for the needs-reset reason). */
export function describeLoss(word: number): string {
  return messageId(word) === MsgId.PF_CONTROL_MSG
    ? `PF control message ${hex32(word)} without clear-to-send`
    : `PF NACK ${hex32(word)}: not clear-to-send`;
}

export function pfTimeout(phase: WaitPhase, timeoutMs: number, timeoutIsSticky: boolean): MailboxTimeoutError {
  return new MailboxTimeoutError(`the PF did not answer within ${timeoutMs} ms (waiting for ${PHASE_TEXT[phase]})`, {
    hint: timeoutIsSticky
      ? 'is the PF driver loaded and its interface up? The VF must be reset before it is used again (igbvf rule)'
      : 'is the PF driver loaded and its interface up? The next request is sent normally',
    // resetFirst: the VF must be reset before its next request (the igbvf rule), which explainError words.
    details: { phase, timeoutMs, resetFirst: timeoutIsSticky },
  });
}

export function notClearToSend(request: number | undefined, word: number): ResetRequiredError {
  return new ResetRequiredError(`the PF no longer considers the VF clear-to-send (${hex32(word)}): the VF must reset`, {
    hint: 'reset the VF and re-apply its configuration (the daemon does this by itself); the PF dropped CTS after a PF reset, a trust change or a link-state change',
    details: { word: hex32(word), ...(request === undefined ? {} : { request: hex32(request) }) },
  });
}

export function pfResetDuringWait(phase: WaitPhase): ResetRequiredError {
  // RSTI/RSTD seen during a request: a PF reset, or a VF that was not reset since it was opened (vfio-pci
  // resets the function at open, which leaves RSTD to be seen): both are fixed by the VF reset.
  return new ResetRequiredError('the PF was reset while the VF waited for it (or the VF was not reset since it was opened); the VF must reset', {
    hint: 'reset the VF and re-apply its configuration: resetAndNegotiate() (the daemon does this by itself)',
    details: { phase },
  });
}

/**
 * RSTI seen while VF_RESET waits for its PFACK or reply: the PF began a reset of its own after the
 * message was written (the reset sequence sends VF_RESET only once RSTI is clear), and that reset drops
 * the mailbox. `details.pfResetStarted` lets the reset sequence wait for the PF and send again.
 */
export function pfResetDuringVfReset(phase: WaitPhase): ResetRequiredError {
  return new ResetRequiredError('the PF began a reset while it had our VF_RESET (its reset drops the message); the VF must reset again', {
    hint: 'reset the VF again once the PF is back: resetAndNegotiate() (the daemon does this by itself)',
    details: { phase, pfResetStarted: true },
  });
}

/** The error pfResetDuringVfReset() makes. */
export function isPfResetDuringVfReset(err: unknown): boolean {
  return err instanceof ResetRequiredError && (err.details as { pfResetStarted?: unknown }).pfResetStarted === true;
}

export function needsResetFirst(request: number): ResetRequiredError {
  return new ResetRequiredError('the VF must be reset before it can talk to the PF again (an earlier timeout or loss of clear-to-send)', {
    hint: 'reset the VF (the daemon does this by itself); the PF forgot the VF configuration',
    details: { request: hex32(request) },
  });
}

export function unsolicitedFlood(request: number, last: number, skipped: number): ResetRequiredError {
  return new ResetRequiredError(`the PF kept sending unsolicited words instead of answering ${hex32(request)}: the VF must reset`, {
    hint: 'reset the VF; if it persists, check the PF kernel log (`dmesg`)',
    details: { request: hex32(request), last: hex32(last), skipped },
  });
}

/** A request queued or waiting when its VF handle was closed (Vf.close → Mailbox.close). */
export function mailboxClosed(): DeviceGoneError {
  return new DeviceGoneError('ERR_CLOSED', 'this VF handle is closed', { hint: 'open the VF again (openVf) to send more requests' });
}
