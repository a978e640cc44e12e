/**
 * The dialect tables of the simulated PF policy (src/sim/dialects.ts): they list only differences (every
 * named rule differs between ixgbe and igb), and the PFs run on their own dialect's rules (observable:
 * a trust change resets an ixgbe VF, not an igb one; igb replies with one word, ixgbe with the buffer).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAILBOX_WORDS } from '../../src/hw/mailbox.js';
import { IGB_RULES, IXGBE_RULES, type PfDialectRules } from '../../src/sim/dialects.js';
import { RawVfMailbox, createSimulatedPf } from '../../src/sim/index.js';

describe('simulated PF dialects', () => {
  it('every named rule differs between ixgbe and igb (the tables hold differences only)', () => {
    for (const key of Object.keys(IXGBE_RULES) as (keyof PfDialectRules)[]) {
      assert.notDeepEqual(IXGBE_RULES[key], IGB_RULES[key], key);
    }
    assert.deepEqual(Object.keys(IGB_RULES).sort(), Object.keys(IXGBE_RULES).sort());
  });

  it('a trust change drops CTS on ixgbe (ping without CTS) and only sets the flag on igb', async () => {
    const ixgbe = createSimulatedPf({ spec: 'sim:family=x550' });
    const igb = createSimulatedPf({ spec: 'sim:family=i350' });
    for (const sim of [ixgbe, igb]) sim.pf.vf(0).cts = true;
    await ixgbe.pf.setTrust(true);
    await igb.pf.setTrust(true);
    assert.equal(ixgbe.pf.vf(0).cts, false);
    assert.deepEqual(ixgbe.pf.sent.map((e) => e.words[0]), [0x00000100]);
    assert.equal(igb.pf.vf(0).cts, true);
    assert.deepEqual(igb.pf.sent, []);
    assert.equal(igb.pf.vf(0).trusted, true);
  });

  it('replies are the whole buffer on ixgbe and one word on igb', async () => {
    for (const [spec, words] of [['sim:family=x550', MAILBOX_WORDS], ['sim:family=i350', 1]] as const) {
      const sim = createSimulatedPf({ spec });
      const raw = new RawVfMailbox(sim.vf(0).regs, sim.family);
      sim.pf.vf(0).cts = true;
      raw.send([0x00000005, 1518]);
      await sim.pf.idle();
      const reply = sim.pf.sent.find((e) => e.kind === 'reply');
      assert.ok(reply !== undefined, spec);
      assert.equal(reply.words.length, words, spec);
    }
  });
});
