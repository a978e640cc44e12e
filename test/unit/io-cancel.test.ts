/**
 * Cancellable timers and one-shot interrupt subscriptions (src/io.ts, src/sim/clock.ts) and the mailbox
 * wait built on them (src/mbx/wait.ts): a cancelled timer never fires and, on the VirtualClock, never
 * moves time; a wait leaves no timer and no listener behind, also after 1000 of them; a Clock written
 * before `after()` existed (sleep with an AbortSignal only) still works.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IrqEmitter, nextIrq, reusableTimerOf, systemClock, timerOf, type Clock, type IrqSource } from '../../src/io.js';
import { openVf } from '../../src/open/open-vf.js';
import { waitUntil } from '../../src/mbx/wait.js';
import { VirtualClock } from '../../src/sim/clock.js';

/** Timers Node has armed in this process (what a leaked setTimeout would show up as). */
function armedTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Resolves after one macrotask, so anything scheduled with setImmediate before has run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('VirtualClock.after', () => {
  it('an uncancelled timer fires after one macrotask and advances the clock by its ms', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    clock.after(7, () => (fired += 1));
    assert.equal(clock.pendingTimers, 1);
    assert.equal(fired, 0, 'not synchronously');
    await turn();
    assert.equal(fired, 1);
    assert.equal(clock.now(), 7);
    assert.equal(clock.pendingTimers, 0);
  });

  it('a cancelled timer never fires and the clock does not advance for it', async () => {
    const clock = new VirtualClock();
    let fired = 0;
    const cancel = clock.after(1000, () => (fired += 1));
    cancel();
    cancel(); // idempotent
    assert.equal(clock.pendingTimers, 0);
    await turn();
    await turn();
    assert.equal(fired, 0);
    assert.equal(clock.now(), 0);
  });

  it('cancel after the timer fired is a no-op (the pending count stays right)', async () => {
    const clock = new VirtualClock();
    const cancel = clock.after(3, () => undefined);
    await turn();
    cancel();
    assert.equal(clock.pendingTimers, 0);
    assert.equal(clock.now(), 3);
  });

  it('an aborted sleep resolves at once and does not advance the clock', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const slept = clock.sleep(500, controller.signal);
    controller.abort();
    await slept;
    await turn();
    assert.equal(clock.now(), 0);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('systemClock.after', () => {
  it('a cancelled timer is cleared: no armed Timeout left, the callback never runs', async () => {
    const before = armedTimeouts();
    let fired = 0;
    const cancels = Array.from({ length: 100 }, () => systemClock.after!(60_000, () => (fired += 1)));
    assert.equal(armedTimeouts(), before + 100);
    for (const cancel of cancels) cancel();
    assert.equal(armedTimeouts(), before);
    assert.equal(fired, 0);
  });

  it('an uncancelled timer fires once', async () => {
    let fired = 0;
    await new Promise<void>((resolve) => {
      systemClock.after!(1, () => {
        fired += 1;
        resolve();
      });
    });
    assert.equal(fired, 1);
  });
});

/** Resolves after `ms` of real time (a test waiting past a timer's due time; nothing is asserted about time). */
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('systemClock.reusableTimer (one Timeout per mailbox, re-armed with refresh)', () => {
  it('1000 arm/cancel rounds leave one Timeout, never a callback of a cancelled arm', async () => {
    const before = armedTimeouts();
    const timer = systemClock.reusableTimer!();
    let fired = 0;
    for (let i = 0; i < 1000; i++) timer.after(5, () => (fired += 1))();
    assert.equal(armedTimeouts(), before + 1, 'one Timeout, re-armed, not 1000');
    await pause(30);
    assert.equal(fired, 0, 'a disarmed Timeout that comes due calls nothing');
    timer.dispose();
    assert.equal(armedTimeouts(), before);
  });

  it('an arm that is not cancelled fires once, also after earlier arms were cancelled', async () => {
    const timer = systemClock.reusableTimer!();
    const calls: string[] = [];
    timer.after(5, () => calls.push('first'))();
    timer.after(5, () => calls.push('second'))();
    await new Promise<void>((resolve) => timer.after(5, () => (calls.push('third'), resolve())));
    await pause(20);
    assert.deepEqual(calls, ['third']);
    timer.dispose();
  });

  it("an earlier arm's Cancel does not disarm a later arm; a Cancel after firing is a no-op", async () => {
    const timer = systemClock.reusableTimer!();
    const cancelFirst = timer.after(5, () => assert.fail('cancelled arm fired'));
    cancelFirst();
    let fired = 0;
    const done = new Promise<void>((resolve) => timer.after(5, () => ((fired += 1), resolve())));
    cancelFirst();
    await done;
    const cancelThird = timer.after(2, () => (fired += 1));
    await pause(20);
    cancelThird();
    cancelThird();
    assert.equal(fired, 2);
    timer.dispose();
  });

  it('a second wait arming while the first holds it gets its own timer: both fire', async () => {
    const before = armedTimeouts();
    const timer = systemClock.reusableTimer!();
    const fired: string[] = [];
    const a = new Promise<void>((resolve) => timer.after(5, () => (fired.push('a'), resolve())));
    const b = new Promise<void>((resolve) => timer.after(5, () => (fired.push('b'), resolve())));
    assert.equal(armedTimeouts(), before + 2);
    await Promise.all([a, b]);
    assert.deepEqual(fired.sort(), ['a', 'b']);
    timer.dispose();
    assert.equal(armedTimeouts(), before);
  });

  it('a new delay replaces the Timeout (the old one is cleared, never left armed)', async () => {
    const before = armedTimeouts();
    const timer = systemClock.reusableTimer!();
    timer.after(60_000, () => assert.fail('cancelled'))();
    let fired = 0;
    await new Promise<void>((resolve) => timer.after(3, () => ((fired += 1), resolve())));
    assert.equal(fired, 1);
    timer.dispose();
    assert.equal(armedTimeouts(), before);
  });

  it('dispose while a wait has it armed: that wait still gets its callback, then nothing is left', async () => {
    const before = armedTimeouts();
    const timer = systemClock.reusableTimer!();
    let fired = 0;
    const done = new Promise<void>((resolve) => timer.after(5, () => ((fired += 1), resolve())));
    timer.dispose();
    await done;
    assert.equal(fired, 1);
    assert.equal(armedTimeouts(), before);
    // Armed again after a dispose: works, and a dispose while armed then a cancel clears it.
    const cancel = timer.after(60_000, () => assert.fail('cancelled'));
    timer.dispose();
    assert.equal(armedTimeouts(), before + 1, 'kept while armed');
    cancel();
    assert.equal(armedTimeouts(), before, 'cleared once its wait is over');
  });

  it('a clock without reusableTimer gets one built from after(): a Timeout per arm, dispose a no-op', async () => {
    const clock = new VirtualClock();
    const timer = reusableTimerOf(clock);
    let fired = 0;
    timer.after(5, () => (fired += 100))();
    timer.after(7, () => (fired += 1));
    assert.equal(clock.pendingTimers, 1);
    await turn();
    assert.equal(fired, 1);
    assert.equal(clock.now(), 7);
    timer.dispose();
  });

  it('a VF waiting on interrupts with the real clock leaves no Timeout once closed', async () => {
    const before = armedTimeouts();
    const handle = await openVf('sim');
    await handle.vf.reset();
    for (let i = 0; i < 20; i++) await handle.vf.setMac(`02:00:00:00:00:${(0x10 + i).toString(16)}`);
    assert.ok(handle.vf.counters.irqWakeups > 0, 'the waits were ended by interrupts');
    await handle.close();
    assert.equal(armedTimeouts(), before, 'close() cleared the disarmed fallback timer (it would otherwise hold the loop up to 10 ms)');
  });
});

describe('nextIrq', () => {
  it('calls the listener at the next interrupt only, then unsubscribes', () => {
    const irqs = new IrqEmitter();
    const seen: number[] = [];
    nextIrq(irqs, (count) => seen.push(count));
    assert.equal(irqs.listenerCount, 1);
    irqs.fire(3);
    irqs.fire(4);
    assert.deepEqual(seen, [3]);
    assert.equal(irqs.listenerCount, 0);
  });

  it('cancelled before the interrupt: the listener never runs and nothing stays subscribed', () => {
    const irqs = new IrqEmitter();
    let calls = 0;
    const cancel = nextIrq(irqs, () => (calls += 1));
    cancel();
    cancel();
    irqs.fire();
    assert.equal(calls, 0);
    assert.equal(irqs.listenerCount, 0);
  });

  it('a source that delivers inside on() is unsubscribed at once', () => {
    let subscribed = 0;
    const eager: IrqSource = {
      on: (listener) => {
        subscribed += 1;
        listener(1);
        listener(1);
        return () => (subscribed -= 1);
      },
      wait: () => Promise.resolve(1),
    };
    let calls = 0;
    nextIrq(eager, () => (calls += 1));
    assert.equal(calls, 1);
    assert.equal(subscribed, 0);
  });
});

describe('waitUntil leaves nothing behind', () => {
  it('1000 waits ended by an interrupt (VirtualClock): no listener, no pending timer, no virtual time spent', async () => {
    const clock = new VirtualClock();
    const irqs = new IrqEmitter();
    let wakeups = 0;
    for (let i = 0; i < 1000; i++) {
      let ready = false;
      const waiting = waitUntil(() => ready, clock.now() + 1000, { clock, irqs, pollIntervalMs: 10, onWakeup: (byIrq) => assert.ok(byIrq) });
      assert.equal(irqs.listenerCount, 1, 'subscribed while waiting');
      assert.equal(clock.pendingTimers, 1, 'the fallback timer is armed while waiting');
      ready = true;
      irqs.fire();
      assert.equal(await waiting, true);
      wakeups += 1;
    }
    assert.equal(wakeups, 1000);
    assert.equal(irqs.listenerCount, 0);
    assert.equal(clock.pendingTimers, 0);
    await turn();
    assert.equal(clock.now(), 0, 'the cancelled fallback timers never moved the clock');
  });

  it('waits ended by the timer unsubscribe from the interrupts', async () => {
    const clock = new VirtualClock();
    const irqs = new IrqEmitter();
    let rounds = 0;
    for (let i = 0; i < 100; i++) {
      let checks = 0;
      assert.equal(await waitUntil(() => ++checks > 2, clock.now() + 1000, { clock, irqs, pollIntervalMs: 5, onWakeup: () => (rounds += 1) }), true);
    }
    assert.equal(rounds, 200);
    assert.equal(clock.now(), 1000, '200 timer rounds of 5 ms');
    assert.equal(irqs.listenerCount, 0);
    assert.equal(clock.pendingTimers, 0);
  });

  it('1000 waits ended by an interrupt on the real clock: no armed Timeout left', async () => {
    const irqs = new IrqEmitter();
    const before = armedTimeouts();
    for (let i = 0; i < 1000; i++) {
      let ready = false;
      const waiting = waitUntil(() => ready, systemClock.now() + 60_000, { clock: systemClock, irqs, pollIntervalMs: 10_000 });
      ready = true;
      irqs.fire();
      assert.equal(await waiting, true);
    }
    assert.equal(armedTimeouts(), before);
    assert.equal(irqs.listenerCount, 0);
  });
});

describe('a Clock without after() (written against the older interface) still works', () => {
  /** now() and sleep(ms, signal) only; counts the sleeps still pending (neither fired nor aborted). */
  function legacyClock(): Clock & { pending: number; aborted: number } {
    const inner = new VirtualClock();
    const clock = {
      pending: 0,
      aborted: 0,
      now: () => inner.now(),
      sleep: (ms: number, signal?: AbortSignal): Promise<void> => {
        clock.pending += 1;
        signal?.addEventListener('abort', () => (clock.aborted += 1), { once: true });
        return inner.sleep(ms, signal).then(() => {
          clock.pending -= 1;
        });
      },
    };
    return clock;
  }

  it('timerOf falls back to sleep(ms, signal): fires, and a cancel aborts the sleep and never fires', async () => {
    const clock = legacyClock();
    const timer = timerOf(clock);
    let fired = 0;
    timer(4, () => (fired += 1));
    const cancel = timer(4, () => (fired += 100));
    cancel();
    cancel();
    await turn();
    await turn();
    assert.equal(fired, 1);
    assert.equal(clock.aborted, 1);
    assert.equal(clock.pending, 0);
    assert.equal(clock.now(), 4, 'only the uncancelled sleep moved the clock');
  });

  it('waits wake on the interrupt and on the timer, and leave no sleep pending', async () => {
    const clock = legacyClock();
    const irqs = new IrqEmitter();
    for (let i = 0; i < 100; i++) {
      let ready = false;
      const waiting = waitUntil(() => ready, clock.now() + 1000, { clock, irqs, pollIntervalMs: 10 });
      ready = true;
      irqs.fire();
      assert.equal(await waiting, true);
    }
    let checks = 0;
    assert.equal(await waitUntil(() => ++checks > 2, clock.now() + 1000, { clock, irqs, pollIntervalMs: 10 }), true);
    await turn();
    assert.equal(clock.pending, 0);
    assert.equal(clock.aborted, 100);
    assert.equal(clock.now(), 20, 'two timer rounds; the 100 aborted sleeps did not move the clock');
    assert.equal(irqs.listenerCount, 0);
  });
});
