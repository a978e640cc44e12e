/**
 * `legacyOps` — Linux `ixgbevf_mbx_ops_legacy` (reference §4.3, §11.2), the default and the only
 * discipline a Linux PF accepts. The VF holds VFU only while it touches the memory: the doorbell write is
 * exactly REQ (0x01) or exactly ACK (0x02), which signals and releases VFU in one step, because the Linux
 * PF takes its own lock with a single attempt and drops the message when VFU is held (§4.4, §6.1).
 */
import { MbxBit } from '../hw/mailbox.js';
import { checkForAck, checkForMsg, checkForRst, copyIn, copyOut, obtainLock } from './ops-common.js';
import type { MailboxOps, MailboxPort } from './ops.js';

export const legacyOps: MailboxOps = {
  name: 'legacy',
  writeAwaitsPfAck: false,
  checkForMsg,
  checkForAck,
  checkForRst,
  obtainLock,

  releaseLock(): void {
    // Nothing: the REQ / ACK write released VFU.
  },

  async write(port: MailboxPort, words: readonly number[], deadline: number): Promise<void> {
    await obtainLock(port, deadline);
    // Holding VFU, the PF cannot write: whatever PFSTS/PFACK the shadow holds now is stale (clear_msg,
    // clear_ack). The Mailbox drains a pending PF message before it gets here. No read of its own: the
    // lock's read-back (tryLock, the read that saw VFU granted) already folded every read-to-clear bit
    // into the shadow, and nothing can set one since. Linux's ixgbevf_write_mbx_vf_legacy reads
    // VFMAILBOX again in check_for_msg/check_for_ack; that is the kernel's 20 accesses to our 17.
    port.control.consume(MbxBit.PFSTS | MbxBit.PFACK);
    copyIn(port, words);
    port.control.write(MbxBit.REQ);
  },

  async read(port: MailboxPort, count: number, deadline: number): Promise<number[]> {
    await obtainLock(port, deadline);
    // The PFSTS that announced this message is consumed now, while VFU keeps the PF out: a PFSTS that
    // shows after our ACK (the PF's answer to it) belongs to the next message and must survive. The lock's
    // read-back already folded it into the shadow (as in write above).
    port.control.consume(MbxBit.PFSTS);
    const words = copyOut(port, count);
    port.control.write(MbxBit.ACK);
    return words;
  },

  async writePosted(port: MailboxPort, words: readonly number[], deadline: number): Promise<void> {
    await legacyOps.write(port, words, deadline);
    await port.poll(() => checkForAck(port), 'pf-ack', deadline);
  },

  async readPosted(port: MailboxPort, count: number, deadline: number): Promise<number[]> {
    await port.poll(() => checkForMsg(port), 'pf-message', deadline);
    return legacyOps.read(port, count, deadline);
  },
};
