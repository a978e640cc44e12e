/**
 * Register accesses of one legacy-discipline transaction (issue 15, target 1): the shadow makes a second
 * VFMAILBOX read after taking the lock unnecessary, so between the VFU write and the REQ / ACK doorbell
 * there is exactly one read — the lock's own read-back. Counted on the mailbox test double, in order.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MbxBit } from '../../src/hw/mailbox.js';
import { mbxRig } from '../helpers/mbx-setup.js';

type Access = { op: 'r' | 'w'; offset: number; value: number };

function recordAccesses(hw: ReturnType<typeof mbxRig>['hw']): Access[] {
  const log: Access[] = [];
  const read = hw.read32.bind(hw);
  const write = hw.write32.bind(hw);
  hw.read32 = (offset: number) => {
    const value = read(offset);
    log.push({ op: 'r', offset, value });
    return value;
  };
  hw.write32 = (offset: number, value: number) => {
    log.push({ op: 'w', offset, value });
    write(offset, value);
  };
  return log;
}

describe('mbx legacy discipline: register accesses', () => {
  it('one VFMAILBOX read (the lock read-back) between VFU and each doorbell; in a SET_MAC_ADDR', async () => {
    const { mbx, hw, pf } = mbxRig();
    await mbx.writeMsgReadAck([0x00000001], 4); // VF_RESET: the PF is clear-to-send afterwards
    assert.equal(pf.cts, true);
    const log = recordAccesses(hw);
    const reply = await mbx.writeMsgReadAck([0x00000002, 0x33221102, 0x00005544], 3);
    assert.equal(reply[0]! & 0xffff, 0x0002);

    const control = hw.mailboxOffset;
    const doorbells = log.flatMap((a, i) => (a.op === 'w' && a.offset === control && (a.value === MbxBit.REQ || a.value === MbxBit.ACK) ? [i] : []));
    assert.equal(doorbells.length, 2, 'one REQ (the request) and one ACK (the reply)');
    for (const at of doorbells) {
      let lockAt = at - 1;
      while (lockAt >= 0 && !(log[lockAt]!.op === 'w' && log[lockAt]!.offset === control && log[lockAt]!.value === MbxBit.VFU)) lockAt -= 1;
      assert.ok(lockAt >= 0, 'the doorbell follows a lock write');
      const controlReads = log.slice(lockAt + 1, at).filter((a) => a.op === 'r' && a.offset === control);
      assert.equal(controlReads.length, 1, 'only the lock read-back, no second read of VFMAILBOX');
    }
    // The rest (the waits' checks of PFACK / PFSTS) depends on when the PF answers; the rig counts them.
  });
});
