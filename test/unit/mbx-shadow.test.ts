import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceGoneError } from '../../src/errors.js';
import { familyByModel } from '../../src/hw/index.js';
import { MbxBit } from '../../src/hw/mailbox.js';
import { legacyOps } from '../../src/mbx/ops-legacy.js';
import { tryLock } from '../../src/mbx/ops-common.js';
import { MailboxControl } from '../../src/mbx/shadow.js';
import { FakeMailboxHw } from '../helpers/mbx-fake.js';
import { createCounters } from '../../src/mbx/counters.js';
import type { MailboxPort } from '../../src/mbx/ops.js';

/** A port for calling single ops directly (no memory, no waits). */
function portOver(control: MailboxControl): MailboxPort {
  return { control, memory: undefined as never, counters: createCounters(), trace: undefined, now: () => 0, timeoutMs: 1000, poll: async () => undefined };
}

describe('mbx shadow of read-to-clear bits', () => {
  const family = familyByModel('82599');

  it('a status read for one purpose does not lose a PFSTS needed by another', () => {
    const hw = new FakeMailboxHw(family);
    const control = new MailboxControl(hw, family.regs.mailbox);
    hw.raise(MbxBit.PFSTS);
    assert.equal(control.test(MbxBit.RSTD), false); // a reset poll reads (and clears in hardware)
    assert.equal(hw.bits & MbxBit.PFSTS, 0, 'the fake hardware really cleared PFSTS on read');
    assert.equal(control.test(MbxBit.PFSTS), true, 'the shadow kept it');
    control.consume(MbxBit.PFSTS);
    assert.equal(control.test(MbxBit.PFSTS), false);
  });

  it('PFACK seen during a lock check survives until checkForAck consumes it', () => {
    const hw = new FakeMailboxHw(family);
    hw.raise(MbxBit.PFACK);
    const fakePort = portOver(new MailboxControl(hw, family.regs.mailbox));
    assert.equal(tryLock(fakePort), true);
    assert.equal(legacyOps.checkForAck(fakePort), true);
    assert.equal(fakePort.counters.acks, 1);
    assert.equal(legacyOps.checkForAck(fakePort), false, 'consumed once');
  });

  it('RSTD seen by a message check is still reported by checkForRst; PFSTS is not consumed by checkForMsg', () => {
    const hw = new FakeMailboxHw(family);
    const control = new MailboxControl(hw, family.regs.mailbox);
    const port = portOver(control);
    hw.raise(MbxBit.RSTD | MbxBit.PFSTS);
    assert.equal(legacyOps.checkForMsg(port), true);
    assert.equal(legacyOps.checkForMsg(port), true, 'check_for_msg leaves PFSTS in the shadow');
    assert.equal(legacyOps.checkForRst(port), true);
    assert.equal(legacyOps.checkForRst(port), false, 'RSTD consumed');
    assert.equal(port.counters.rsts, 1);
  });

  it('0xFFFFFFFF means the device is gone, checked before folding bits', () => {
    const hw = new FakeMailboxHw(family);
    const control = new MailboxControl(hw, family.regs.mailbox);
    hw.removed = true;
    assert.throws(() => control.read(), (e: unknown) => e instanceof DeviceGoneError && e.code === 'ERR_DEVICE_REMOVED');
    assert.equal(control.shadow, 0);
  });

  it('uses the family offsets (igb V2PMAILBOX 0xC40)', () => {
    const igb = familyByModel('82576');
    const hw = new FakeMailboxHw(igb);
    const control = new MailboxControl(hw, igb.regs.mailbox);
    control.write(MbxBit.VFU);
    assert.deepEqual(hw.writes, [{ offset: 0xc40, value: 0x04 }]);
  });
});
