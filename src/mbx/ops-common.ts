/** Operations both tables share (reference §4.2): the bit checks and the clear-on-consume rules. */
import { MbxBit } from '../hw/mailbox.js';
import type { MailboxPort } from './ops.js';

/** check_for_msg: PFSTS shows. The shadow keeps it until the message is read. */
export function checkForMsg(port: MailboxPort): boolean {
  if (!port.control.test(MbxBit.PFSTS)) return false;
  port.counters.reqs += 1;
  return true;
}

/** check_for_ack: PFACK shows; consumed. */
export function checkForAck(port: MailboxPort): boolean {
  if (!port.control.test(MbxBit.PFACK)) return false;
  port.control.consume(MbxBit.PFACK);
  port.counters.acks += 1;
  return true;
}

/** check_for_rst: RSTI (level) or RSTD (read-to-clear) shows; RSTD consumed. */
export function checkForRst(port: MailboxPort): boolean {
  if (!port.control.test(MbxBit.RSTI | MbxBit.RSTD)) return false;
  port.control.consume(MbxBit.RSTI | MbxBit.RSTD);
  port.counters.rsts += 1;
  return true;
}

/**
 * One lock attempt: write VFU and nothing else (never REQ or ACK in a lock write, §11.2), then confirm
 * by reading back. VFU is granted by the hardware only while PFU is clear (§3.2).
 */
export function tryLock(port: MailboxPort): boolean {
  port.control.write(MbxBit.VFU);
  return port.control.test(MbxBit.VFU);
}

/** obtain_lock: retry tryLock until the deadline (timer waits between attempts). */
export async function obtainLock(port: MailboxPort, deadline: number): Promise<void> {
  await port.poll(() => tryLock(port), 'lock', deadline);
}

/** Copies `count` words out of the shared memory and traces them. */
export function copyOut(port: MailboxPort, count: number): number[] {
  const words = port.memory.read(count);
  port.counters.msgsRx += 1;
  port.trace?.({ kind: 'rx', words });
  return words;
}

/** Copies a message into the shared memory and traces it. */
export function copyIn(port: MailboxPort, words: readonly number[]): void {
  port.trace?.({ kind: 'tx', words: [...words] });
  port.memory.write(words);
  port.counters.msgsTx += 1;
}
