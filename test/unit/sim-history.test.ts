/**
 * What a simulated PF keeps for tests to look at, and what its PFs share (src/sim/pf-base.ts,
 * ixgbe-handlers.ts, ixgbe-pf.ts, mailbox-hw.ts): `log`, `sent` and `dmesg` keep the newest
 * `historyLimit` entries (default DEFAULT_SIM_HISTORY) and are otherwise exactly the unbounded record; a
 * bad limit is refused; the PF interrupt listeners behave as a set; the API sets of a kernel generation
 * and the default RSS key are one shared, unchanged copy; a PF's state is its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { familyByModel } from '../../src/hw/index.js';
import { PF_KERNEL_GENERATIONS } from '../../src/hw/pf-kernel.js';
import { RSS_KEY_BYTES } from '../../src/hw/messages.js';
import { apiSets } from '../../src/sim/ixgbe-handlers.js';
import { DEFAULT_SIM_HISTORY, LinuxIxgbePf, MailboxHardware, RawVfMailbox, createSimulatedPf, type SimulatedPf } from '../../src/sim/index.js';

/** Admin actions that each leave a `sent` entry and a `dmesg` line on an ixgbe PF. */
async function churn(sim: SimulatedPf, steps: readonly boolean[]): Promise<void> {
  for (const trusted of steps) {
    sim.pf.vf(0).trusted = !trusted; // always a change: ping + dmesg line
    await sim.pf.setTrust(trusted);
  }
}

/** Messages the PF handles (log entries, replies in `sent`, reasons in `dmesg`): NACKed while not CTS. */
async function messages(sim: SimulatedPf, n: number): Promise<void> {
  const raw = new RawVfMailbox(sim.vf(0).regs, sim.family);
  for (let i = 0; i < n; i++) {
    raw.send([0x00000005, 1500 + i]); // SET_LPE without CTS: NACK with a reason
    await sim.pf.idle();
    raw.receive(1);
    await sim.pf.idle();
  }
}

describe('simulated PF history (log, sent, dmesg)', () => {
  it('keeps exactly the newest historyLimit entries of what an unbounded PF records (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(fc.boolean(), { maxLength: 14 }), fc.integer({ min: 0, max: 8 }), async (limit, steps, n) => {
        const bounded = createSimulatedPf({ spec: 'sim:family=x550', historyLimit: limit });
        const all = createSimulatedPf({ spec: 'sim:family=x550', historyLimit: Infinity });
        for (const sim of [bounded, all]) {
          await churn(sim, steps);
          await messages(sim, n);
        }
        assert.ok(all.pf.sent.length >= steps.length + n && all.pf.log.length >= n, 'the reference records everything');
        assert.deepEqual(bounded.pf.sent, all.pf.sent.slice(-limit));
        assert.deepEqual(bounded.pf.log, all.pf.log.slice(-limit));
        assert.deepEqual(bounded.pf.dmesg, all.pf.dmesg.slice(-limit));
        assert.ok(bounded.pf.sent.length <= limit && bounded.pf.log.length <= limit && bounded.pf.dmesg.length <= limit);
      }),
      { numRuns: 60 },
    );
  });

  it('defaults to DEFAULT_SIM_HISTORY entries, the newest', async () => {
    const sim = createSimulatedPf({ spec: 'sim:family=82599' });
    assert.equal(sim.pf.historyLimit, DEFAULT_SIM_HISTORY);
    const steps = Array.from({ length: DEFAULT_SIM_HISTORY + 5 }, (_, i) => i % 2 === 0);
    await churn(sim, steps);
    assert.equal(sim.pf.sent.length, DEFAULT_SIM_HISTORY);
    assert.equal(sim.pf.dmesg.length, DEFAULT_SIM_HISTORY);
    // The last change was to "trusted" (index 36 is even): the newest line is last.
    assert.equal(sim.pf.dmesg.at(-1), 'VF 0 is trusted');
    assert.equal(sim.pf.dmesg.at(-2), 'VF 0 is not trusted');
  });

  it('an igb PF keeps the same bound', async () => {
    const sim = createSimulatedPf({ spec: 'sim:family=i350', historyLimit: 2 });
    await messages(sim, 5);
    assert.equal(sim.pf.log.length, 2);
    assert.equal(sim.pf.sent.length, 2);
  });

  it('refuses a limit that is not an integer >= 1 or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, -Infinity]) {
      assert.throws(() => createSimulatedPf({ historyLimit: bad }), RangeError, String(bad));
    }
    assert.equal(createSimulatedPf({ historyLimit: 1 }).pf.historyLimit, 1);
  });
});

describe('what simulated PFs share and what they do not', () => {
  it('the API sets are built once per kernel generation and hold the generation table', () => {
    for (const table of Object.values(PF_KERNEL_GENERATIONS)) {
      const sets = apiSets(table);
      assert.equal(apiSets(table), sets, 'one copy per generation');
      assert.deepEqual([...sets.negotiable], [...new Set(table.negotiableApis)]);
      assert.deepEqual([...sets.queues], [...new Set(table.queuesApis)]);
      assert.deepEqual([...sets.api12Plus], [...new Set(table.api12PlusApis)]);
      assert.deepEqual([...sets.jumbo], [...new Set(table.jumboApis)]);
      assert.deepEqual([...sets.pfLink], [...new Set(table.pfLinkStateApis)]);
    }
    const a = createSimulatedPf({ spec: 'sim:family=x550' }).pf as LinuxIxgbePf;
    const b = createSimulatedPf({ spec: 'sim:family=x550' }).pf as LinuxIxgbePf;
    assert.equal(a.apis, b.apis);
  });

  it('the default RSS key is the fixed pattern, one copy; a given key is used as given', () => {
    const a = createSimulatedPf({ spec: 'sim:family=82599' }).pf as LinuxIxgbePf;
    const b = createSimulatedPf({ spec: 'sim:family=x540' }).pf as LinuxIxgbePf;
    assert.equal(a.rssKey, b.rssKey);
    assert.deepEqual([...a.rssKey], Array.from({ length: RSS_KEY_BYTES }, (_, i) => (i * 29 + 7) & 0xff));
    const own = new Uint8Array(RSS_KEY_BYTES).fill(0xab);
    const hw = new MailboxHardware({ family: familyByModel('82599') });
    assert.equal(new LinuxIxgbePf(hw, { rssKey: own }).rssKey, own);
  });

  it('per-VF state is not shared between PFs', async () => {
    const a = createSimulatedPf({ spec: 'sim:family=x550' });
    const b = createSimulatedPf({ spec: 'sim:family=x550' });
    await a.pf.setPortVlan(7);
    assert.deepEqual([...(a.pf as LinuxIxgbePf).vf(0).vlans], [7]);
    assert.deepEqual([...(b.pf as LinuxIxgbePf).vf(0).vlans], [0]);
  });
});

describe('PF interrupt listeners', () => {
  it('behave as a set: one call per listener, subscribing twice changes nothing, unsubscribing stops it', () => {
    const hw = new MailboxHardware({ family: familyByModel('82599') });
    const calls: string[] = [];
    const a = (): void => void calls.push('a');
    const b = (): void => void calls.push('b');
    const offA = hw.onPfInterrupt(a);
    hw.onPfInterrupt(a);
    const offB = hw.onPfInterrupt(b);
    hw.vfFlr(0);
    assert.deepEqual(calls, ['a', 'b']);
    offA();
    hw.vfFlr(0);
    assert.deepEqual(calls, ['a', 'b', 'b']);
    offB();
    hw.vfFlr(0);
    assert.deepEqual(calls, ['a', 'b', 'b']);
  });

  it('a listener added or removed while the interrupt is delivered takes effect from the next one', () => {
    const hw = new MailboxHardware({ family: familyByModel('82599') });
    const calls: string[] = [];
    const late = (): void => void calls.push('late');
    let offSecond: () => void = () => undefined;
    hw.onPfInterrupt(() => {
      calls.push('first');
      offSecond();
      hw.onPfInterrupt(late);
    });
    offSecond = hw.onPfInterrupt(() => void calls.push('second'));
    hw.vfFlr(0);
    assert.deepEqual(calls, ['first', 'second']);
    hw.vfFlr(0);
    assert.deepEqual(calls, ['first', 'second', 'first', 'late']);
  });
});
