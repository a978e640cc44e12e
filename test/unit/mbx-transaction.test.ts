import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeviceGoneError, MailboxTimeoutError, ResetRequiredError } from '../../src/errors.js';
import { familyByModel } from '../../src/hw/index.js';
import { MbxBit, MsgFlag } from '../../src/hw/mailbox.js';
import { lockedOps } from '../../src/mbx/ops-locked.js';
import { mbxRig, ticks } from '../helpers/mbx-setup.js';

const RESET = [0x00000001];

describe('mbx legacy discipline (exact doorbells)', () => {
  it('a transaction writes exactly VFU, REQ, VFU, ACK to the control register', async () => {
    const { hw, mbx } = mbxRig();
    const reply = await mbx.writeMsgReadAck([0x00000002, 0x33221102, 0x00005544], 3);
    assert.deepEqual(reply, [0xa0000002, 0x33221102, 0x00005544]);
    assert.deepEqual(hw.controlWrites(), [0x04, 0x01, 0x04, 0x02]);
  });

  it('the message words land in VFMBMEM before REQ is rung', async () => {
    const { hw, mbx } = mbxRig();
    const seenAtReq: number[][] = [];
    const onReq = hw.onReq;
    hw.onReq = () => {
      seenAtReq.push(hw.mem.slice(0, 3));
      onReq();
    };
    await mbx.writeMsgReadAck([0x00000002, 0x33221102, 0x00005544], 3);
    assert.deepEqual(seenAtReq, [[0x00000002, 0x33221102, 0x00005544]]);
  });

  it('the lock is confirmed by reading back: while the PF holds PFU the VF retries and writes no memory', async () => {
    const { hw, mbx } = mbxRig();
    hw.bits |= MbxBit.PFU;
    const pending = mbx.writeMsgReadAck([0x00000004, 7], 2);
    await ticks(10);
    assert.ok(hw.controlWrites().length >= 2, 'retried');
    assert.ok(hw.controlWrites().every((v) => v === MbxBit.VFU), 'lock writes are exactly VFU, never REQ/ACK');
    assert.equal(hw.mem[0], 0, 'no memory written without the lock');
    hw.pfUnlock();
    const reply = await pending;
    assert.equal(reply[0], 0xa0000004);
  });

  it('a lock that never comes times out and counts; ixgbe: only that call fails, igb: the mailbox needs a reset', async () => {
    for (const [model, sticky] of [['82599', false], ['82576', true]] as const) {
      const { hw, mbx } = mbxRig({ family: familyByModel(model) });
      hw.bits |= MbxBit.PFU;
      await assert.rejects(mbx.writeMsgReadAck([0x00000004, 7], 2), (e: unknown) => e instanceof MailboxTimeoutError && e.details['phase'] === 'lock');
      assert.equal(mbx.needsReset, sticky, model);
      assert.equal(mbx.counters.timeouts, 1);
    }
  });

  it('legacy write (ixgbe): no PFACK wait — a PF whose PFACK never shows is still answered; igb waits for PFACK (write_posted)', async () => {
    const dropAck = (hw: { raise(bits: number): void }): void => {
      const raise = hw.raise.bind(hw);
      hw.raise = (bits: number) => raise(bits & ~MbxBit.PFACK);
    };
    const ixgbe = mbxRig();
    dropAck(ixgbe.hw);
    assert.equal((await ixgbe.mbx.writeMsgReadAck([0x00000002, 1, 2], 3))[0], 0xa0000002);
    assert.deepEqual(ixgbe.hw.controlWrites(), [0x04, 0x01, 0x04, 0x02], 'the transcript: lock, REQ, lock, ACK');
    assert.equal(ixgbe.mbx.counters.acks, 0);
    const igb = mbxRig({ family: familyByModel('82576') });
    dropAck(igb.hw);
    await assert.rejects(igb.mbx.writeMsgReadAck([0x00000002, 1, 2], 1), (e: unknown) => e instanceof MailboxTimeoutError && e.details['phase'] === 'pf-ack');
  });

  it('the VF_RESET reply without CTS is accepted', async () => {
    const { mbx, pf } = mbxRig({ cts: false });
    const reply = await mbx.writeMsgReadAck(RESET, 4, { replyDelayMs: 10 });
    assert.deepEqual(reply, [0x80000001, 0x33221102, 0x00005544, 0]);
    assert.equal(pf.cts, true);
  });

  it('a reply without CTS → ResetRequiredError, later requests fail fast, VF_RESET recovers', async () => {
    const { hw, mbx, pf, resets } = mbxRig({ cts: false });
    await assert.rejects(mbx.writeMsgReadAck([0x00000002, 1, 2], 3), ResetRequiredError);
    assert.equal(mbx.needsReset, true);
    assert.equal(resets.length, 1);
    const writes = hw.writes.length;
    await assert.rejects(mbx.writeMsgReadAck([0x00000002, 1, 2], 3), ResetRequiredError);
    assert.equal(hw.writes.length, writes, 'failed fast: no register touched');
    mbx.clearNeedsReset();
    await ticks(5); // the PF's bare NACK (answer to our ACK while not CTS) arrives
    const reset = await mbx.writeMsgReadAck(RESET, 4);
    assert.equal(reset[0], 0x80000001);
    assert.equal(pf.cts, true);
    const ok = await mbx.writeMsgReadAck([0x00000002, 1, 2], 3);
    assert.equal(ok[0], 0xa0000002);
  });

  it('a ping with CTS in place of the reply is reported, skipped, and the real reply returned', async () => {
    const { hw, pf, mbx, unsolicited } = mbxRig({
      handler: (words, p) => {
        p.hw.pfWrite([0x20000100]);
        const reply = [(words[0]! | MsgFlag.ACK | MsgFlag.CTS) >>> 0, 42];
        const onAck = p.hw.onAck;
        p.hw.onAck = () => {
          p.hw.onAck = onAck;
          setImmediate(() => p.hw.pfWrite(reply));
        };
        return null;
      },
    });
    const reply = await mbx.writeMsgReadAck([0x0000000c, 2], 2);
    assert.deepEqual(reply, [0xa000000c, 42]);
    assert.deepEqual(unsolicited, [0x20000100]);
    assert.equal(mbx.needsReset, false);
    void hw;
    void pf;
  });

  for (const word of [0x00000100, 0x40000000]) {
    it(`${word === 0x100 ? 'a ping without CTS' : 'the bare NACK'} in place of the reply → ResetRequiredError`, async () => {
      const { mbx, unsolicited, resets } = mbxRig({
        handler: (_words, p) => {
          p.hw.pfWrite([word]);
          return null;
        },
      });
      await assert.rejects(mbx.writeMsgReadAck([0x00000003, 0], 1), (e: unknown) => e instanceof ResetRequiredError && e.code === 'ERR_RESET_REQUIRED');
      assert.deepEqual(unsolicited, [word]);
      assert.equal(resets.length, 1);
      assert.equal(mbx.needsReset, true);
    });
  }

  it('a PF message pending before a request is read and reported, not flushed unseen', async () => {
    const { hw, mbx, unsolicited } = mbxRig();
    hw.pfWrite([0x20000100]);
    const reply = await mbx.writeMsgReadAck([0x00000005, 1518], 2);
    assert.equal(reply[0], 0xa0000005);
    assert.deepEqual(unsolicited, [0x20000100]);
    assert.deepEqual(hw.controlWrites(), [0x04, 0x02, 0x04, 0x01, 0x04, 0x02]);
  });

  it('ixgbe: no reply → MailboxTimeoutError for that call only; the next request is sent normally (current ixgbevf)', async () => {
    const { mbx, pf } = mbxRig();
    pf.answering = false;
    await assert.rejects(mbx.writeMsgReadAck([0x00000002, 1, 2], 3), (e: unknown) => e instanceof MailboxTimeoutError && e.code === 'ERR_MBX_TIMEOUT');
    assert.equal(mbx.counters.timeouts, 1);
    assert.equal(mbx.needsReset, false);
    pf.answering = true;
    assert.equal((await mbx.writeMsgReadAck([0x00000002, 1, 2], 3))[0], 0xa0000002);
  });

  it('igb: no reply → MailboxTimeoutError, then fail fast (igbvf zeroes its timeout), then VF_RESET clears it', async () => {
    const { mbx, pf } = mbxRig({ family: familyByModel('82576') });
    pf.answering = false;
    await assert.rejects(mbx.writeMsgReadAck([0x00000002, 1, 2], 1), (e: unknown) => e instanceof MailboxTimeoutError && e.code === 'ERR_MBX_TIMEOUT');
    assert.equal(mbx.needsReset, true);
    await assert.rejects(mbx.writeMsgReadAck([0x00000002, 1, 2], 1), ResetRequiredError);
    pf.answering = true;
    mbx.clearNeedsReset();
    assert.equal((await mbx.writeMsgReadAck(RESET, 3))[0], 0x80000001);
  });

  it('a PF reset (RSTI) while waiting aborts the request with ResetRequiredError', async () => {
    const { hw, mbx, resets } = mbxRig({
      handler: (_w, p) => {
        p.hw.pfResetStart();
        return null;
      },
    });
    await assert.rejects(mbx.writeMsgReadAck([0x00000009, 0, 0, 0, 0], 5), ResetRequiredError);
    assert.equal(mbx.needsReset, true);
    assert.match(resets[0]!, /RSTI\/RSTD/);
    assert.equal(mbx.counters.timeouts, 0);
    void hw;
  });

  it('device removal during a wait → DeviceGoneError, no endless polling', async () => {
    const { mbx } = mbxRig({
      handler: (_w, p) => {
        p.hw.removed = true;
        return null;
      },
    });
    await assert.rejects(mbx.writeMsgReadAck([0x00000002, 1, 2], 3), DeviceGoneError);
  });

  it('one transaction at a time: concurrent requests never interleave and get their own replies', async () => {
    const { mbx, trace } = mbxRig();
    const [a, b, c] = await Promise.all([
      mbx.writeMsgReadAck([0x00000004, 10], 2),
      mbx.writeMsgReadAck([0x00000005, 1518], 2),
      mbx.writeMsgReadAck([0x00010004, 20], 2),
    ]);
    assert.deepEqual(a, [0xa0000004, 10]);
    assert.deepEqual(b, [0xa0000005, 1518]);
    assert.deepEqual(c, [0xa0010004, 20]);
    const kinds = trace.filter((e) => e.kind !== 'control').map((e) => e.kind);
    assert.deepEqual(kinds, ['tx', 'rx', 'tx', 'rx', 'tx', 'rx']);
  });

  it('counts messages, acks, reqs and interrupts; traces words with direction', async () => {
    const { mbx, trace } = mbxRig();
    await mbx.writeMsgReadAck([0x00000002, 1, 2], 3);
    const c = mbx.counters;
    assert.equal(c.msgsTx, 1);
    assert.equal(c.msgsRx, 1);
    assert.equal(c.acks, 0, 'ixgbe: the PFACK is not waited for (it is flushed by the next write)');
    assert.ok(c.reqs >= 1);
    assert.ok(c.interrupts >= 2, 'PFACK and PFSTS interrupts counted');
    assert.deepEqual(trace.find((e) => e.kind === 'tx'), { kind: 'tx', words: [2, 1, 2] });
    assert.deepEqual(trace.find((e) => e.kind === 'rx'), { kind: 'rx', words: [0xa0000002, 1, 2] });
  });

  it('works without interrupts (poll mode) on the igb offsets with 1-word replies', async () => {
    const igb = familyByModel('82576');
    const { hw, mbx } = mbxRig({ family: igb });
    hw.interrupts = false;
    const reply = await mbx.writeMsgReadAck([0x00000004 | (1 << 16), 5], igb.replyWords);
    assert.deepEqual(reply, [0xa0010004]);
    assert.ok(hw.writes.every((w) => w.offset === 0xc40 || (w.offset >= 0x800 && w.offset < 0x840)));
  });

  it('refuses a request carrying ACK/NACK bits (the PF would ignore it)', async () => {
    const { mbx } = mbxRig();
    await assert.rejects(mbx.writeMsgReadAck([0x80000002], 1), RangeError);
  });
});

describe('mbx locked ("ESX") discipline', () => {
  it('holds VFU from the message until PFACK, RMW doorbells, explicit release; reads without the lock', async () => {
    const { hw, pf, mbx } = mbxRig();
    // An ESX-style PF: reads without taking its lock, replies once the VF released VFU.
    hw.onReq = () =>
      setImmediate(() => {
        const words = [...hw.mem];
        hw.raise(MbxBit.PFACK);
        const reply = [(words[0]! | MsgFlag.ACK | MsgFlag.CTS) >>> 0, words[1]!];
        const tryWrite = (): void => {
          if (!hw.pfWrite(reply)) setImmediate(tryWrite);
        };
        tryWrite();
      });
    void pf;
    mbx.setOps(lockedOps);
    const reply = await mbx.writeMsgReadAck([0x00000004, 9], 2);
    assert.deepEqual(reply, [0xa0000004, 9]);
    const writes = hw.controlWrites();
    assert.equal(writes[0], MbxBit.VFU, 'lock write is exactly VFU');
    assert.equal(writes[1], MbxBit.VFU | MbxBit.REQ, 'REQ keeps VFU');
    assert.equal(writes[2]! & MbxBit.VFU, 0, 'explicit release');
    assert.equal(writes[3], MbxBit.ACK, 'read: ACK without taking the lock');
    assert.equal(writes.length, 4);
  });

  it('against a Linux PF the locked discipline loses the message (why legacy is the default)', async () => {
    const { mbx, pf } = mbxRig();
    mbx.setOps(lockedOps);
    await assert.rejects(mbx.writeMsgReadAck([0x00000004, 9], 2), MailboxTimeoutError);
    assert.equal(pf.lostMessages.length, 1);
    assert.equal(pf.received.length, 0);
  });
});
