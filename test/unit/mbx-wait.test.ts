/**
 * Waits never spin, and the interrupt-mode poll interval. Every test that could loop forever without the
 * fix under test is bounded by a counter checked synchronously (a watchdog that does not need timers:
 * a runaway microtask loop starves setTimeout, so a timer-based guard would never fire).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResetRequiredError } from '../../src/errors.js';
import { MBX_IRQ_FALLBACK_POLL_MS, MsgFlag } from '../../src/hw/mailbox.js';
import { IrqEmitter, noIrqs, type IrqSource } from '../../src/io.js';
import { DEFAULT_IRQ_POLL_INTERVAL_MS, DEFAULT_POLL_INTERVAL_MS, Mailbox } from '../../src/mbx/mailbox.js';
import { MAX_IRQ_WAKEUPS_WITHOUT_TIMER, waitUntil } from '../../src/mbx/wait.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { linuxishHandler } from '../helpers/mbx-fake.js';
import { mbxRig } from '../helpers/mbx-setup.js';

class Runaway extends Error {}

/**
 * An IrqSource in an interrupt storm: every subscription gets an interrupt at once — in a microtask, or
 * (`sync`) inside `on()` itself, like a source with a level-triggered interrupt always pending. Counts
 * subscriptions and throws past `limit`; `wait()` delivers at once too.
 */
function stormIrqs(limit: number, sync = false): IrqSource & { subscriptions: number; subscribed: number } {
  const src = {
    subscriptions: 0,
    subscribed: 0,
    on: (listener: (count: number) => void): (() => void) => {
      src.subscriptions += 1;
      if (src.subscriptions > limit) throw new Runaway(`waitUntil spun ${src.subscriptions} rounds`);
      let live = true;
      src.subscribed += 1;
      const deliver = (): void => {
        if (live) listener(1);
      };
      if (sync) deliver();
      else queueMicrotask(deliver);
      return () => {
        if (live) src.subscribed -= 1;
        live = false;
      };
    },
    wait: (signal?: AbortSignal): Promise<number> => Promise.resolve(signal?.aborted === true ? 0 : 1),
  };
  return src;
}

describe('mbx waitUntil: never spins', () => {
  for (const sync of [false, true]) {
    it(`an interrupt storm cannot keep a wait alive: the deadline still comes (virtual clock, delivery ${sync ? 'inside on()' : 'in a microtask'})`, async () => {
      const clock = new VirtualClock();
      const irqs = stormIrqs(100_000, sync);
      const wakeups = { irq: 0, timer: 0 };
      const ok = await waitUntil(() => false, 5, {
        clock,
        irqs,
        pollIntervalMs: 0.5,
        onWakeup: (byIrq) => (byIrq ? (wakeups.irq += 1) : (wakeups.timer += 1)),
      });
      assert.equal(ok, false);
      assert.ok(clock.now() >= 5);
      // 10 timer rounds of 0.5 ms, each after a streak of interrupt wakeups.
      assert.equal(wakeups.timer, 10);
      assert.equal(wakeups.irq, 10 * MAX_IRQ_WAKEUPS_WITHOUT_TIMER);
      assert.equal(irqs.subscriptions, 10 * MAX_IRQ_WAKEUPS_WITHOUT_TIMER, 'the timer-only rounds do not subscribe');
      assert.equal(irqs.subscribed, 0, 'no listener left behind');
      assert.equal(clock.pendingTimers, 0, 'no timer left behind');
    });
  }

  it('every round that does not end the wait awaits a timer or an interrupt', async () => {
    const clock = new VirtualClock();
    let checks = 0;
    const ok = await waitUntil(() => ++checks > 3, 100, { clock, irqs: noIrqs, pollIntervalMs: 1 });
    assert.equal(ok, true);
    assert.equal(clock.now(), 3, 'three timer rounds of 1 ms (virtual)');
  });

  it('a check that throws rejects the wait, never throws synchronously (first check or a later one)', async () => {
    const clock = new VirtualClock();
    const boom = new ResetRequiredError('reset seen');
    let first: Promise<boolean> | undefined;
    assert.doesNotThrow(() => {
      first = waitUntil(() => { throw boom; }, 100, { clock, irqs: noIrqs, pollIntervalMs: 1 });
    });
    await assert.rejects(first!, (e: unknown) => e === boom);
    let checks = 0;
    const later = waitUntil(() => { if (++checks === 3) throw boom; return false; }, 100, { clock, irqs: noIrqs, pollIntervalMs: 1 });
    await assert.rejects(later, (e: unknown) => e === boom);
    assert.equal(clock.pendingTimers, 0);
  });

  it('a condition that already holds resolves true without a round (no timer, no subscription)', async () => {
    const clock = new VirtualClock();
    const irqs = new IrqEmitter();
    const waiting = waitUntil(() => true, 100, { clock, irqs, pollIntervalMs: 1 });
    assert.equal(clock.pendingTimers, 0);
    assert.equal(irqs.listenerCount, 0);
    assert.equal(await waiting, true);
    assert.equal(clock.now(), 0);
  });

  it('refuses a poll interval that would not move time', async () => {
    const clock = new VirtualClock();
    await assert.rejects(waitUntil(() => false, 1, { clock, irqs: noIrqs, pollIntervalMs: 0 }), RangeError);
  });
});

describe('mbx transaction: no ACK/bare-NACK ping-pong during VF_RESET', () => {
  it('a bare NACK while waiting for the VF_RESET reply ends the reset with ResetRequiredError (synchronous PF)', async () => {
    // The PF takes VF_RESET and replies, then drops CTS with a ping 0x100 that overwrites the reply
    // before the VF reads it. Every ACK of ours now draws a bare NACK; with a PF that answers at once the
    // VF's check always succeeds immediately, so before the fix this was a microtask loop that never
    // yielded to timers and never let the (virtual) deadline come.
    const base = linuxishHandler();
    let rx = 0;
    const { mbx, pf, hw, resets } = mbxRig({
      cts: false,
      handler: (words, p) => {
        if (words[0] === 0x00000001) {
          setImmediate(() => {
            p.cts = false;
            p.ping();
          });
        }
        return base(words, p);
      },
      mailbox: {
        timeoutMs: 40,
        onTrace: (e) => {
          if (e.kind === 'rx' && ++rx > 1000) throw new Runaway('ACK/NACK ping-pong');
        },
      },
    });
    pf.sync = true;
    await assert.rejects(mbx.writeMsgReadAck([0x00000001], 4, { replyDelayMs: 10 }), (e: unknown) => e instanceof ResetRequiredError);
    assert.ok(rx <= 3, `read ${rx} words`);
    assert.equal(mbx.needsReset, true);
    assert.deepEqual(resets, [], 'the reset caller reports it, not onResetRequired');
    void hw;
  });

  it('a PF that answers every ACK with another unsolicited word cannot keep a request alive', async () => {
    let rx = 0;
    const { mbx, hw } = mbxRig({
      handler: () => null, // never replies
      mailbox: {
        timeoutMs: 40,
        onTrace: (e) => {
          if (e.kind === 'rx' && ++rx > 1000) throw new Runaway('unsolicited stream');
        },
      },
    });
    hw.onAck = () => hw.pfWrite([0x20000100]); // a ping with CTS, at once, for every ACK
    hw.onReq = () => {
      hw.pfRead();
      hw.pfWrite([0x20000100]);
    };
    await assert.rejects(mbx.writeMsgReadAck([0x00000004, 7], 2), ResetRequiredError);
    assert.ok(rx <= 20, `read ${rx} words`);
    assert.equal(mbx.needsReset, true);
  });
});

describe('mbx poll interval: interrupt mode vs poll mode', () => {
  it('defaults: 10 ms fallback with a real IrqSource, 0.5 ms with noIrqs; configurable', () => {
    const { hw, family } = mbxRig();
    const clock = new VirtualClock();
    assert.equal(DEFAULT_IRQ_POLL_INTERVAL_MS, MBX_IRQ_FALLBACK_POLL_MS);
    assert.equal(new Mailbox({ regs: hw, family, clock, irqs: new IrqEmitter() }).pollIntervalMs, 10);
    assert.equal(new Mailbox({ regs: hw, family, clock, irqs: noIrqs }).pollIntervalMs, DEFAULT_POLL_INTERVAL_MS);
    assert.equal(new Mailbox({ regs: hw, family, clock }).pollIntervalMs, 0.5);
    assert.equal(new Mailbox({ regs: hw, family, clock, irqs: new IrqEmitter(), pollIntervalMs: 2 }).pollIntervalMs, 2);
    assert.throws(() => new Mailbox({ regs: hw, family, clock, irqs: new IrqEmitter(), pollIntervalMs: 0 }), RangeError);
  });

  it('interrupt mode: the PF interrupt wakes the waits, not the timer', async () => {
    const { mbx, clock } = mbxRig();
    const reply = await mbx.writeMsgReadAck([0x00000002, 0x33221102, 0x00005544], 3);
    assert.equal(reply[0], 0xa0000002);
    const c = mbx.counters;
    assert.ok(c.irqWakeups >= 1, `irqWakeups ${c.irqWakeups}`); // PFACK (the reply comes with it)
    assert.equal(c.timerWakeups, 0);
    assert.ok(c.interrupts >= c.irqWakeups);
    assert.equal(clock.now(), 0, 'no timer round ran (virtual time)');
  });

  it('interrupt mode, interrupt lost: the 10 ms fallback timer still finds the reply', async () => {
    const { mbx, hw, clock } = mbxRig();
    hw.interrupts = false;
    const reply = await mbx.writeMsgReadAck([0x00000002, 0x33221102, 0x00005544], 3);
    assert.equal(reply[0], 0xa0000002);
    const c = mbx.counters;
    assert.equal(c.irqWakeups, 0);
    assert.ok(c.timerWakeups >= 1);
    assert.equal(clock.now() % MBX_IRQ_FALLBACK_POLL_MS, 0, 'timer rounds of the fallback interval (virtual time)');
  });

  it('poll mode: waits are timer rounds of 0.5 ms, interrupts are not counted', async () => {
    const { mbx, clock } = mbxRig({ mailbox: { irqs: noIrqs } });
    const reply = await mbx.writeMsgReadAck([0x00000002, 0x33221102, 0x00005544], 3);
    assert.equal(reply[0], 0xa0000002);
    const c = mbx.counters;
    assert.equal(c.irqWakeups, 0);
    assert.equal(c.interrupts, 0);
    assert.ok(c.timerWakeups >= 1);
    assert.equal(clock.now(), c.timerWakeups * 0.5);
  });

  it('the VF_RESET transaction polls at the short interval even in interrupt mode (the reset masks interrupts)', async () => {
    const { mbx, hw, clock } = mbxRig();
    hw.interrupts = false; // as with VTEIMC written by the reset path
    const reply = await mbx.writeMsgReadAck([0x00000001], 4, { replyDelayMs: 10 });
    assert.equal((reply[0]! & ~MsgFlag.CTS) >>> 0, 0x80000001);
    assert.ok(clock.now() < 10 + MBX_IRQ_FALLBACK_POLL_MS, `took ${clock.now()} ms (virtual)`);
  });
});
