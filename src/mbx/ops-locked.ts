/**
 * `lockedOps` — Linux `ixgbevf_mbx_ops`, the API 1.5 "ESX" discipline (reference §4.4): the sender holds
 * its lock from writing the message until the receiver acknowledges it; the receiver reads without the
 * lock. Doorbells are read-modify-write so VFU stays set. Never use this with a Linux PF: its single-try
 * lock fails while VFU is held and the message is lost (§4.4). Selected only per §4.6 (API 1.5, or 1.7
 * with the ESX_MBX feature).
 *
 * The read-modify-write keeps VFU (the only writable latched bit) and never re-writes REQ or ACK from a
 * read-back value, since whether the hardware latches them is unknown (§3.1, §12).
 */
import { MailboxTimeoutError } from '../errors.js';
import { MbxBit } from '../hw/mailbox.js';
import { checkForAck, checkForMsg, checkForRst, copyIn, copyOut, obtainLock } from './ops-common.js';
import type { MailboxOps, MailboxPort } from './ops.js';

function heldLock(port: MailboxPort): number {
  return port.control.read() & MbxBit.VFU;
}

export const lockedOps: MailboxOps = {
  name: 'locked',
  writeAwaitsPfAck: true,
  checkForMsg,
  checkForAck,
  checkForRst,
  obtainLock,

  releaseLock(port: MailboxPort): void {
    // Read-modify-write with VFU (and the doorbells) cleared; RO/RC bits in a write are ignored.
    const value = port.control.read();
    port.control.write(value & ~(MbxBit.VFU | MbxBit.REQ | MbxBit.ACK));
  },

  async write(port: MailboxPort, words: readonly number[], deadline: number): Promise<void> {
    try {
      await obtainLock(port, deadline);
      port.control.read();
      port.control.consume(MbxBit.PFSTS | MbxBit.PFACK);
      copyIn(port, words);
      port.control.write(heldLock(port) | MbxBit.REQ);
      await port.poll(() => checkForAck(port), 'pf-ack', deadline);
    } finally {
      lockedOps.releaseLock(port);
    }
  },

  async read(port: MailboxPort, count: number): Promise<number[]> {
    if (!checkForMsg(port)) {
      throw new MailboxTimeoutError('no PF message to read (PFSTS clear)', { details: { phase: 'pf-message' } });
    }
    port.control.consume(MbxBit.PFSTS);
    const words = copyOut(port, count);
    port.control.write(heldLock(port) | MbxBit.ACK);
    return words;
  },

  async writePosted(port: MailboxPort, words: readonly number[], deadline: number): Promise<void> {
    // The locked write already waits for PFACK while holding VFU.
    await lockedOps.write(port, words, deadline);
  },

  async readPosted(port: MailboxPort, count: number, deadline: number): Promise<number[]> {
    await port.poll(() => checkForMsg(port), 'pf-message', deadline);
    return lockedOps.read(port, count, deadline);
  },
};
