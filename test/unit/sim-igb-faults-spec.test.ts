import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidArgumentError } from '../../src/errors.js';
import { ApiVersion } from '../../src/hw/api.js';
import { MbxBit } from '../../src/hw/mailbox.js';
import { MsgId } from '../../src/hw/messages.js';
import {
  createSimulatedPf,
  createSimulatedVf,
  LinuxIgbPf,
  parseSimSpec,
  RawVfMailbox,
  VirtualClock,
  type SimulatedPfOptions,
} from '../../src/sim/index.js';

const ACK = 0x80000000 | 0;
const NACK = 0x40000000;
const CTS = 0x20000000;

function setup(opts: SimulatedPfOptions = {}) {
  const clock = new VirtualClock();
  const sim = createSimulatedPf({ autoRun: false, clock, ...opts });
  const raw = new RawVfMailbox(sim.vf().regs, sim.family);
  async function transact(words: number[], n = 16): Promise<number[] | undefined> {
    assert.ok(raw.send(words));
    await sim.pf.runPending();
    if ((raw.status() & MbxBit.PFSTS) === 0) return undefined;
    const r = raw.receive(n);
    await sim.pf.runPending();
    return r;
  }
  return { sim, raw, clock, pf: sim.pf, transact };
}

describe('igb PF dialect', () => {
  it('RESET reply is 3 words: NACK without MAC, ACK + MAC when a MAC is stored (even VF-chosen)', async () => {
    const t = setup({ family: '82576' });
    assert.ok(t.pf instanceof LinuxIgbPf);
    const r = await t.transact([1], 3);
    assert.deepEqual(r, [0x40000001, 0, 0]);
    assert.equal(t.sim.pf.sent.at(-1)!.words.length, 3);
    assert.equal((await t.transact([MsgId.SET_MAC_ADDR, 0x33221102, 0x5544]))![0], (MsgId.SET_MAC_ADDR | ACK | CTS) >>> 0);
    const again = await t.transact([1], 3);
    assert.deepEqual(again, [0x80000001, 0x33221102, 0x5544]);
  });

  it('replies are 1 word; API_NEGOTIATE (0x08) is NACKed', async () => {
    const t = setup({ family: 'I350' });
    await t.transact([1], 3);
    const r = (await t.transact([MsgId.API_NEGOTIATE, ApiVersion.V1_1, 0]))!;
    assert.equal(r[0], (MsgId.API_NEGOTIATE | NACK | CTS) >>> 0);
    assert.equal(r[1], ApiVersion.V1_1, 'only word 0 written');
    assert.equal(t.sim.pf.sent.at(-1)!.words.length, 1);
  });

  it('SET_PROMISC accepts only MULTICAST (flag removed from the reply); other flags NACK', async () => {
    const t = setup({ family: '82576' });
    await t.transact([1], 3);
    const pf = t.pf as LinuxIgbPf;
    assert.equal((await t.transact([0x06 | (0x02 << 16)]))![0], (0x06 | ACK | CTS) >>> 0);
    assert.equal(pf.state.multicastPromisc, true);
    assert.equal((await t.transact([0x06 | (0x01 << 16)]))![0]! & NACK, NACK);
  });

  it('SET_MAC_ADDR with an admin MAC is NACKed for an untrusted VF even with the same MAC; trust change sends nothing', async () => {
    const t = setup({ family: '82576', adminMac: '02:00:00:00:00:01' });
    assert.equal((await t.transact([1], 3))![0], 0x80000001);
    assert.equal((await t.transact([MsgId.SET_MAC_ADDR, 0x00000002, 0x0100]))![0]! & NACK, NACK);
    const sent = t.pf.sent.length;
    await t.pf.setTrust(true);
    assert.equal(t.pf.sent.length, sent, 'no ping');
    assert.equal((t.pf as LinuxIgbPf).state.cts, true, 'CTS kept');
    assert.equal((await t.transact([MsgId.SET_MAC_ADDR, 0x00000002, 0x0100]))![0]! & ACK, ACK);
  });

  it('more than 30 multicast hashes turns on multicast promiscuous', async () => {
    const t = setup({ family: '82576' });
    await t.transact([1], 3);
    assert.equal((await t.transact([MsgId.SET_MULTICAST | (31 << 16)]))![0]! & ACK, ACK);
    const s = (t.pf as LinuxIgbPf).state;
    assert.equal(s.multicastCount, 31);
    assert.equal(s.multicastHashes.length, 30);
    assert.equal(s.multicastPromisc, true);
  });

  it('not CTS: silence within 2 s of last_nack (set at VF reset), then a 1-word NACK', async () => {
    const t = setup({ family: '82576' });
    await t.transact([1], 3);
    t.raw.resetVf(); // VFLR: CTS cleared, last_nack = now
    await t.pf.runPending();
    assert.equal((t.pf as LinuxIgbPf).state.cts, false);
    assert.equal(await t.transact([MsgId.SET_LPE, 1518]), undefined, 'silent');
    assert.equal(t.pf.log.at(-1)!.result, 'silent');
    assert.equal(t.raw.status() & MbxBit.PFU, 0, 'PF unlocked after the silent drop');
    t.clock.advance(2001);
    assert.equal((await t.transact([MsgId.SET_LPE, 1518]))![0], (MsgId.SET_LPE | NACK) >>> 0);
  });

  it('VFLR forgets a VF-chosen MAC but keeps an admin MAC', async () => {
    const t = setup({ family: '82576' });
    await t.transact([1], 3);
    await t.transact([MsgId.SET_MAC_ADDR, 0x33221102, 0x5544]);
    t.raw.resetVf();
    await t.pf.runPending();
    assert.equal((t.pf as LinuxIgbPf).state.mac, '00:00:00:00:00:00');
    const a = setup({ family: '82576', adminMac: '02:00:00:00:00:01' });
    a.raw.resetVf();
    await a.pf.runPending();
    assert.equal((a.pf as LinuxIgbPf).state.mac, '02:00:00:00:00:01');
  });

  it('the PF read keeps the lock (ACK|PFU) until the reply releases it; lock retried 11 × 1 ms', async () => {
    const t = setup({ family: '82576' });
    t.sim.hw.tracing = true;
    t.raw.send([1]);
    await t.pf.runPending();
    const writes = t.sim.hw.trace.filter((e) => e.side === 'pf' && e.op === 'w' && e.offset === 0xc00).map((e) => e.value);
    assert.deepEqual(writes, [0x08, 0x0a, 0x08, 0x01]);
    // VF holding VFU: the PF retries 11 times over 11 ms of virtual time, then gives up
    const u = setup({ family: '82576' });
    u.raw.lock();
    u.raw.setWord(0, 1);
    u.raw.writeMailbox(MbxBit.REQ | MbxBit.VFU);
    const t0 = u.clock.now();
    await u.pf.runPending();
    // 11 failed attempts for the read, CTS revoked, then 11 more for the NACK the PF tries to write
    assert.equal(u.clock.now() - t0, 22);
    assert.equal((u.pf as LinuxIgbPf).state.cts, false);
    assert.deepEqual(u.pf.sent.at(-1), { vf: 0, words: [0x40000000], kind: 'reply', delivered: false });
  });
});

describe('fault injection', () => {
  it('pfHoldsLockOnVfLock: the VF lock write finds PFU set and fails once', () => {
    const t = setup();
    t.sim.faults.pfHoldsLockOnVfLock = 1;
    assert.equal(t.raw.lock(), false);
    assert.equal(t.raw.lock(), true);
  });

  it('pfLockFailures: the PF read fails, the message is lost', async () => {
    const t = setup();
    t.sim.faults.pfLockFailures = 1;
    assert.equal(await t.transact([1], 4), undefined);
    assert.equal(t.pf.log.at(-1)!.result, 'dropped');
    assert.deepEqual((await t.transact([1], 4))!.slice(0, 1), [0x40000001]);
  });

  it('a ping after the reply overwrites it in the buffer', async () => {
    const t = setup();
    t.sim.faults.injectPing(0x20000100, 'after-reply');
    assert.deepEqual(await t.transact([1], 1), [0x20000100]);
    t.sim.faults.injectPing(0x100, 'before-reply');
    assert.deepEqual(await t.transact([1], 1), [0x40000001]);
  });

  it('PF reset in the middle of a transaction: no reply, RSTI, then RSTD after upAfterMs', async () => {
    const t = setup();
    t.sim.faults.resetMidTransaction = { upAfterMs: 50 };
    t.raw.send([1]);
    await t.pf.runPending();
    assert.equal(t.raw.status(), MbxBit.RSTI);
    await t.clock.sleep(50);
    await t.pf.idle();
    await new Promise((r) => setImmediate(r));
    await t.pf.idle();
    assert.equal(t.raw.status() & MbxBit.RSTD, MbxBit.RSTD);
  });

  it('pfSilent: the PF never answers', async () => {
    const t = setup();
    t.sim.faults.pfSilent = true;
    assert.equal(await t.transact([1], 4), undefined);
    assert.equal(t.sim.hw.vf(0).state.vfreq, true, 'VFREQ never consumed');
  });

  it('replyLatencyMs delays the auto-run msg_task on the injected clock', async () => {
    const clock = new VirtualClock();
    const sim = createSimulatedPf({ clock, replyLatencyMs: 250 });
    const raw = new RawVfMailbox(sim.vf().regs, sim.family);
    raw.send([1]);
    await sim.pf.idle();
    assert.equal(clock.now(), 250);
    assert.equal(raw.status() & MbxBit.PFSTS, MbxBit.PFSTS);
  });

  it('removed device reads all ones', () => {
    const vf = createSimulatedVf('sim');
    vf.hw.removed = true;
    assert.equal(vf.regs.read32(vf.family.regs.mailbox), 0xffffffff);
  });
});

describe('sim: spec', () => {
  it('defaults', () => {
    assert.deepEqual(parseSimSpec('sim'), {
      family: '82599',
      adminMac: null,
      trusted: false,
      newestApi: ApiVersion.V1_7,
      pfUp: true,
      pfAnswers: true,
      pfMtu: 1500,
      portVlan: 0,
      linkUp: true,
      rssQuery: false,
      pfPromiscuous: false,
      pfKernel: 'newest',
      trafficClasses: 0,
      defaultTc: 0,
    });
  });

  it('every key', () => {
    assert.deepEqual(parseSimSpec('sim:mac=02:AA:00:00:00:01,trust=on,api=1.3,pf=down,mtu=9000,family=x550em_a,vlan=5,link=down,promisc=on'), {
      family: 'X550EM_a',
      adminMac: '02:aa:00:00:00:01',
      trusted: true,
      newestApi: ApiVersion.V1_3,
      pfUp: false,
      pfAnswers: true,
      pfMtu: 9000,
      portVlan: 5,
      linkUp: false,
      rssQuery: false,
      pfPromiscuous: true,
      pfKernel: 'newest',
      trafficClasses: 0,
      defaultTc: 0,
    });
    assert.equal(parseSimSpec('sim:family=x540,rss=on').rssQuery, true);
  });

  for (const [spec, key] of [
    ['sim:color=red', 'color'],
    ['sim:trust=maybe', 'trust'],
    ['sim:mtu=1,mtu=2', 'mtu'],
    ['sim:api=1.5', 'api'],
    ['sim:mac=01:00:00:00:00:01', 'mac'],
    ['sim:family=e1000', 'family'],
    ['sim:vlan=4096', 'vlan'],
    ['sim:family=82576,api=1.1', 'api'],
    ['sim:family=x550,rss=on', 'rss'],
    ['sim:promisc=yes', 'promisc'],
    ['sim:pf=mute', 'pf'],
  ] as const) {
    it(`rejects ${spec}`, () => {
      assert.throws(
        () => parseSimSpec(spec),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.code === 'ERR_INVALID_SIM_SPEC' &&
          e.message.includes(key) &&
          !e.message.includes('\n') &&
          (e.hint ?? '').includes('mac, trust, api, pf, mtu, family, vlan, link'),
      );
    });
  }

  it('pf=silent: the PF interface is up and its driver never answers the mailbox (a wedged PF driver)', async () => {
    assert.deepEqual([parseSimSpec('sim:pf=silent').pfUp, parseSimSpec('sim:pf=SILENT').pfAnswers], [true, false]);
    assert.throws(() => parseSimSpec('sim:pf=mute'), /pf=mute is not up, down or silent/);
    const vf = createSimulatedVf('sim:pf=silent');
    assert.equal(vf.pf.up, true);
    assert.equal(vf.pf.faults.pfSilent, true);
    assert.equal(createSimulatedVf('sim').pf.faults.pfSilent, false);
  });

  it('createSimulatedVf("sim:...") wires the knobs into the PF', async () => {
    const vf = createSimulatedVf('sim:mac=02:00:00:00:00:07,pf=down,family=e610');
    assert.equal(vf.family.model, 'E610');
    assert.equal(vf.regs.read32(vf.family.regs.mailbox), MbxBit.RSTI);
    await vf.pf.interfaceUp();
    const raw = new RawVfMailbox(vf.regs, vf.family);
    raw.receive(1);
    await vf.pf.idle();
    raw.receive(1);
    raw.send([1]);
    await vf.pf.idle();
    assert.deepEqual(raw.receive(3), [0x80000001, 0x00000002, 0x0700]);
  });
});
