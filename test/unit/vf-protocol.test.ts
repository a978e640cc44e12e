import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DeviceGoneError,
  InvalidArgumentError,
  MailboxTimeoutError,
  NotSupportedError,
  PfNackError,
  PfResetTimeoutError,
  ResetRequiredError,
} from '../../src/errors.js';
import { ApiVersion } from '../../src/hw/api.js';
import { ready, vfRig } from '../helpers/mbx-vf.js';
import { MAX_RESET_RESENDS } from '../../src/mbx/mailbox.js';
import { PF_REPLY_GRACE_AFTER_PING_MS } from '../../src/hw/mailbox.js';
import { unpackHashes } from '../../src/vf/multicast.js';
import type { LinuxIxgbePf } from '../../src/sim/index.js';

const ixgbe = (pf: unknown): LinuxIxgbePf => pf as LinuxIxgbePf;

describe('vf reset', () => {
  it('admin MAC: VF_RESET is exactly 0x00000001, reply ACK → MAC in kernel byte order, mc filter type', async () => {
    const rig = vfRig({ spec: 'sim:mac=02:11:22:33:44:55', mcFilterType: 2 });
    const result = await rig.vf.reset();
    assert.deepEqual(result, { permanentMac: '02:11:22:33:44:55', mcFilterType: 2 });
    assert.deepEqual(rig.tx, [[0x00000001]]);
    assert.equal(rig.vf.api, ApiVersion.V1_0);
    assert.deepEqual(rig.vf.lastReset, result);
  });

  it('no fixed sleep after VF_RESET: a PF that answers at once ends the reset without the 10 ms ixgbevf waits (deliberate difference 16)', async () => {
    const rig = vfRig('sim');
    const start = rig.clock.now();
    await rig.vf.reset();
    const elapsed = rig.clock.now() - start;
    // Virtual time moves only in sleeps: the RSTI check and the reply's poll rounds, ~1 ms each.
    assert.ok(elapsed < 10, `the reset slept ${elapsed} ms of virtual time`);
  });

  it('no admin MAC: NACK reply → permanentMac null, not an error', async () => {
    const rig = vfRig('sim');
    assert.deepEqual(await rig.vf.reset(), { permanentMac: null, mcFilterType: 0 });
  });

  it('masks interrupts, writes CTRL.RST, programs the mailbox vector before VF_RESET; the reset reply raises MSI-X', async () => {
    const rig = vfRig('sim');
    rig.vf.close(); // one driver per VF: the rig's own Vf would read (and clear) the mailbox on interrupts
    const writes: [number, number][] = [];
    const regs = rig.sim.regs;
    const vf2 = new (rig.vf.constructor as typeof import('../../src/vf/vf.js').Vf)({
      regs: { read32: (o) => regs.read32(o), write32: (o, v) => (writes.push([o, v >>> 0]), regs.write32(o, v)) },
      irqs: rig.sim.irqs,
      family: rig.sim.family,
      clock: rig.clock,
    });
    await vf2.reset();
    const f = rig.sim.family;
    assert.deepEqual(writes[0], [f.regs.eimc, f.irq.maskAll]);
    assert.deepEqual(writes[1], [f.regs.ctrl, f.ctrlReset]);
    const ivarAt = writes.findIndex(([o]) => o === f.regs.ivarMisc);
    assert.deepEqual(writes.slice(ivarAt, ivarAt + 3), [
      [f.regs.ivarMisc, f.irq.mailboxVector | f.irq.ivarValid],
      [f.regs.eiac, 1 << f.irq.mailboxVector],
      [f.regs.eims, 1 << f.irq.mailboxVector],
    ]);
    const resetWordAt = writes.findIndex(([o, v]) => o === f.regs.mailboxMemory && v === 0x00000001);
    assert.ok(ivarAt > 1 && ivarAt < resetWordAt, `vector programmed after CTRL.RST and before VF_RESET: ${JSON.stringify(writes)}`);
    assert.ok(vf2.counters.interrupts > 0, 'the reset reply came with an interrupt (faithful sim routing)');
    vf2.close();
  });

  it('poll mode programs no interrupt registers', async () => {
    const rig = vfRig('sim');
    const writes: number[] = [];
    const regs = rig.sim.regs;
    const { Vf } = await import('../../src/vf/vf.js');
    const vf = new Vf({ regs: { read32: (o) => regs.read32(o), write32: (o, v) => (writes.push(o), regs.write32(o, v)) }, irqs: rig.sim.irqs, family: rig.sim.family, clock: rig.clock, interrupts: false });
    await vf.reset();
    assert.equal(writes.includes(rig.sim.family.regs.eims), false);
    assert.equal(writes.includes(rig.sim.family.regs.ivarMisc), false);
  });

  it('PF interface down (RSTI stuck) → PfResetTimeoutError with the `ip link set <pf> up` hint', async () => {
    const rig = vfRig('sim:pf=down');
    await assert.rejects(rig.vf.reset(), (e: unknown) => e instanceof PfResetTimeoutError && e.code === 'ERR_PF_IN_RESET' && e.message === 'PF still in reset: is the PF interface up?' && e.hint!.includes('ip link set <pf> up'));
    const named = vfRig('sim:pf=down', { pfName: 'enp3s0f0' });
    await assert.rejects(named.vf.reset(), (e: unknown) => e instanceof PfResetTimeoutError && e.hint!.includes('ip link set enp3s0f0 up'));
    assert.equal(named.vf.needsReset, true);
    await ixgbe(named.sim.pf).interfaceUp();
    await named.settle();
    assert.equal((await named.vf.reset()).permanentMac, null);
    assert.equal(named.vf.needsReset, false);
  });

  it('device removed → DeviceGoneError(ERR_DEVICE_REMOVED)', async () => {
    const rig = vfRig('sim');
    rig.sim.hw.removed = true;
    await assert.rejects(rig.vf.reset(), (e: unknown) => e instanceof DeviceGoneError && e.code === 'ERR_DEVICE_REMOVED');
    assert.throws(() => rig.vf.link(), DeviceGoneError);
  });

  it('after close() every call is ERR_CLOSED; close is idempotent', async () => {
    const rig = vfRig('sim');
    rig.vf.close();
    rig.vf.close();
    await assert.rejects(rig.vf.reset(), (e: unknown) => e instanceof DeviceGoneError && e.code === 'ERR_CLOSED');
  });
});

describe('vf API negotiation', () => {
  for (const [newest, expect, tries] of [
    ['1.7', ApiVersion.V1_7, [8]],
    ['1.4', ApiVersion.V1_4, [8, 7, 6, 5]],
    ['1.3', ApiVersion.V1_3, [8, 7, 6, 5, 4]],
    ['1.0', ApiVersion.V1_0, [8, 7, 6, 5, 4, 3, 2, 0]],
  ] as const) {
    it(`a PF that stops at ${newest}: newest first, NACKs are harmless`, async () => {
      const rig = vfRig(`sim:api=${newest}`);
      await rig.vf.reset();
      rig.tx.length = 0;
      assert.equal(await rig.vf.negotiateApi(), expect);
      const negotiations = rig.tx.filter((m) => m[0] === 0x00000008);
      assert.deepEqual(negotiations.map((m) => m[1]), tries);
      assert.ok(negotiations.every((m) => m.length === 3 && m[2] === 0));
      assert.equal(rig.vf.needsReset, false);
      assert.equal(rig.vf.mailboxDiscipline, 'legacy');
      assert.equal(ixgbe(rig.sim.pf).state.api, expect);
      if (expect !== ApiVersion.V1_0) assert.equal((await rig.vf.getQueues()).txQueues, 4, 'the mailbox still works after NACKs');
      else await assert.rejects(rig.vf.getQueues(), (e: unknown) => e instanceof NotSupportedError && e.message === 'GET_QUEUES needs mailbox API 1.1; the PF agreed to 1.0');
    });
  }

  it('1.7 also negotiates features with ixgbevf\'s word (IPSEC | ESX_MBX); Linux grants IPSEC only → legacy stays', async () => {
    const rig = vfRig('sim');
    await rig.vf.reset();
    rig.tx.length = 0;
    await rig.vf.negotiateApi();
    assert.deepEqual(rig.tx, [[0x00000008, 8, 0], [0x00000012, 3]]);
    assert.equal(rig.vf.pfFeatures, 1);
    assert.equal(rig.vf.mailboxDiscipline, 'legacy');
  });

  it('reset() puts the API back to 1.0: the caller renegotiates', async () => {
    const rig = await ready(vfRig('sim'));
    assert.equal(rig.vf.api, ApiVersion.V1_7);
    await rig.vf.reset();
    assert.equal(rig.vf.api, ApiVersion.V1_0);
    assert.equal(ixgbe(rig.sim.pf).state.api, ApiVersion.V1_0);
  });

  it('igb: no negotiation on the wire, API 1.0', async () => {
    const rig = vfRig('sim:family=82576');
    await rig.vf.reset();
    rig.tx.length = 0;
    assert.equal(await rig.vf.negotiateApi(), ApiVersion.V1_0);
    assert.deepEqual(rig.tx, []);
  });
});

describe('vf wire layout (byte-exact against the reference)', () => {
  it('every request', async () => {
    const rig = await ready(vfRig('sim:trust=on', { pfName: 'pf0' }));
    const pf = ixgbe(rig.sim.pf);
    await pf.setQueryRss(true);
    await pf.setPromiscuous(true);
    await rig.settle();
    await rig.vf.setMac('02:11:22:33:44:55');
    await rig.vf.setVlan(100, true);
    await rig.vf.setVlan(100, false);
    await rig.vf.setMtu(1500);
    await rig.vf.setMacvlan(1, '02:00:00:00:00:0a');
    await rig.vf.setMacvlan(0, null);
    await rig.vf.getQueues();
    await rig.vf.getReta();
    await rig.vf.getRssKey();
    await rig.vf.setXcastMode('allmulti');
    await rig.vf.getLinkState();
    await rig.vf.setMulticast(['01:00:5e:00:00:01', '33:33:00:00:ab:cd']);
    assert.deepEqual(rig.tx, [
      [0x00000002, 0x33221102, 0x00005544],
      [0x00010004, 100],
      [0x00000004, 100],
      [0x00000005, 1518],
      [0x00010006, 0x00000002, 0x00000a00],
      [0x00000006, 0, 0],
      [0x00000009, 0, 0, 0, 0],
      [0x0000000a],
      [0x0000000b],
      [0x0000000c, 2],
      [0x00000010, 0],
      [0x00020003, 0x0cda0010, ...new Array(14).fill(0)],
    ]);
    assert.equal(pf.state.mac, '02:11:22:33:44:55');
    assert.equal(pf.state.maxFrame, 1518);
    assert.deepEqual(pf.state.multicastHashes, [0x010, 0xcda]);
    assert.equal(pf.state.xcastMode, 2);
  });

  it('GET_PF_LINK_STATE on an E610 at 1.6+: [0x11, 0, 0]', async () => {
    const rig = await ready(vfRig('sim:family=e610'));
    const link = await rig.vf.getPfLinkState();
    assert.deepEqual(rig.tx, [[0x00000011, 0, 0]]);
    assert.equal(link.source, 'GET_PF_LINK_STATE');
    assert.equal(link.up, true);
  });

  it('queries decode their replies', async () => {
    const rig = await ready(vfRig('sim:trust=on'));
    await ixgbe(rig.sim.pf).setQueryRss(true);
    const reta = await rig.vf.getReta();
    assert.equal(reta.length, 128);
    assert.ok(reta.every((e) => e >= 0 && e <= 3));
    const key = await rig.vf.getRssKey();
    assert.equal(key.length, 40);
    assert.deepEqual(await rig.vf.getQueues(), { txQueues: 4, rxQueues: 4, transparentVlan: 0, defaultQueue: 0 });
    assert.equal(await rig.vf.getLinkState(), true);
    assert.deepEqual(rig.vf.link(), { up: true, speedMbps: 10000, source: 'VFLINKS' });
  });
});

describe('vf validation', () => {
  it('rejects bad input before touching the mailbox', async () => {
    const rig = await ready(vfRig('sim:family=x540'));
    const code = (c: string) => (e: unknown) => e instanceof InvalidArgumentError && e.code === c;
    await assert.rejects(rig.vf.setMac('01:00:5e:00:00:01'), code('ERR_INVALID_MAC'));
    await assert.rejects(rig.vf.setMac('00:00:00:00:00:00'), code('ERR_INVALID_MAC'));
    await assert.rejects(rig.vf.setMac('nonsense'), code('ERR_INVALID_MAC'));
    await assert.rejects(rig.vf.setVlan(4096, true), code('ERR_INVALID_VLAN'));
    await assert.rejects(rig.vf.setVlan(-1, true), code('ERR_INVALID_VLAN'));
    await assert.rejects(rig.vf.setVlan(1.5, true), code('ERR_INVALID_VLAN'));
    await assert.rejects(rig.vf.setMtu(9711), code('ERR_INVALID_MTU'));
    await assert.rejects(rig.vf.setMtu(49), code('ERR_INVALID_MTU'));
    // ixgbevf's floor is ETH_MIN_MTU (68): 50..67 are refused locally (issue 13 #5).
    await assert.rejects(rig.vf.setMtu(67), code('ERR_INVALID_MTU'));
    await assert.rejects(rig.vf.setMtu(50), code('ERR_INVALID_MTU'));
    await assert.rejects(rig.vf.setMaxFrame(85), code('ERR_INVALID_MTU'));
    await assert.rejects(rig.vf.setMulticast(['02:00:00:00:00:01']), code('ERR_INVALID_MAC'));
    await assert.rejects(rig.vf.setXcastMode('all' as never), code('ERR_INVALID_ARGUMENT'));
    assert.deepEqual(rig.tx, []);
    await rig.vf.setMtu(9710);
    await rig.vf.setMtu(68);
    assert.deepEqual(rig.tx.map((w) => w[1]), [9728, 86]);
  });

  it('one source of truth for the MTU range: local refusals and the NACK hint quote MTU_MIN..MTU_MAX', async () => {
    const { MTU_MIN, MTU_MAX } = await import('../../src/hw/messages.js');
    const rig = await ready(vfRig('sim:family=x540'));
    await assert.rejects(rig.vf.setMtu(MTU_MIN - 1), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(`${MTU_MIN}..${MTU_MAX}`));
    // X540 PF refusing a frame (MAXFRS check simulated by a PF answering NACK): the hint names the same range.
    const { nackError } = await import('../../src/vf/nack.js');
    const err = nackError({ op: 'SET_LPE', maxFrame: 9000 }, 0x40000005, { target: { kind: 'sim' }, family: rig.sim.family, api: rig.vf.api, queues: null });
    assert.match(err.hint!, new RegExp(`MTU in ${MTU_MIN}\\.\\.${MTU_MAX}`));
    assert.doesNotMatch(err.hint!, /sim-pf0|50\b/);
  });

  it('82599 at API 1.0: MTU limited to 1504, with a hint to negotiate', async () => {
    const rig = vfRig('sim:api=1.0');
    await rig.vf.reset();
    await rig.vf.negotiateApi();
    await assert.rejects(
      rig.vf.setMtu(1505),
      (e: unknown) => e instanceof InvalidArgumentError && /limited to MTU 1504/.test(e.message) && /negotiate the mailbox API/.test(e.hint ?? '') && JSON.stringify(e.details.remedies) === '[{"kind":"vf-step","step":"negotiate-api"}]',
    );
    const x540 = vfRig('sim:api=1.0,family=x540');
    await x540.vf.reset();
    await x540.vf.setMtu(9000);
  });
});

describe('vf NACK paths with hints', () => {
  it('SET_MAC_ADDR refused (admin MAC, untrusted) → trust / mac hints with the PF and VF names', async () => {
    const rig = await ready(vfRig('sim:mac=02:11:22:33:44:55', { pfName: 'enp1s0f0', vfIndex: 3 }));
    await assert.rejects(
      rig.vf.setMac('02:aa:bb:cc:dd:ee'),
      (e: unknown) =>
        e instanceof PfNackError &&
        e.code === 'ERR_PF_NACK' &&
        e.hint!.includes('ip link set enp1s0f0 vf 3 trust on') &&
        e.hint!.includes('ip link set enp1s0f0 vf 3 mac 02:aa:bb:cc:dd:ee'),
    );
    await rig.vf.setMac('02:11:22:33:44:55');
    assert.equal(rig.vf.needsReset, false, 'a NACK does not poison the mailbox');
  });

  it('SET_VLAN with a port VLAN → `vlan 0` hint (host: ip link with placeholders; sim: the spec key)', async () => {
    const rig = await ready(vfRig('sim:vlan=5'));
    await assert.rejects(rig.vf.setVlan(10, true), (e: unknown) => e instanceof PfNackError && e.hint!.includes('ip link set <pf> vf <n> vlan 0'));
    const sim = await ready(vfRig('sim:vlan=5', { simulated: true }));
    await assert.rejects(
      sim.vf.setVlan(10, true),
      (e: unknown) =>
        e instanceof PfNackError && e.hint!.includes('sim:vlan=0') && !e.hint!.includes('ip link') && JSON.stringify(e.details.remedies) === '[{"kind":"pf-vf","setting":"vlan","value":"0"}]',
    );
  });

  it('hints are structured (details.remedies) and the sim never names a PF netdev', async () => {
    const rig = await ready(vfRig('sim:mac=02:11:22:33:44:55', { simulated: true }));
    await assert.rejects(rig.vf.setMac('02:aa:bb:cc:dd:ee'), (e: unknown) => {
      assert.ok(e instanceof PfNackError);
      assert.deepEqual(e.details.remedies, [
        { kind: 'pf-vf', setting: 'trust', value: 'on' },
        { kind: 'pf-vf', setting: 'mac', value: '02:aa:bb:cc:dd:ee' },
      ]);
      assert.match(e.hint!, /sim:trust=on/);
      assert.doesNotMatch(e.hint!, /sim-pf0|ip link/);
      return true;
    });
    const down = vfRig('sim:pf=down', { simulated: true, resetTimeoutMs: 50 });
    await assert.rejects(down.vf.reset(), (e: unknown) => e instanceof PfResetTimeoutError && /sim:pf=up/.test(e.hint!) && JSON.stringify(e.details.remedies) === '[{"kind":"pf","setting":"up"}]');
  });

  it('SET_LPE on 82599 with a jumbo PF at API 1.0 → NACK with the negotiate hint', async () => {
    const rig = vfRig('sim:mtu=9000,api=1.0');
    await rig.vf.reset();
    await rig.vf.negotiateApi();
    await assert.rejects(rig.vf.setMtu(1500), (e: unknown) => e instanceof PfNackError && /API ≥ 1.1/.test(e.hint!));
  });

  it('xcast: untrusted allmulti is downgraded to multi (ACK); promisc NACK → trust/promisc hint', async () => {
    const rig = await ready(vfRig('sim:family=x540'));
    assert.equal(await rig.vf.setXcastMode('allmulti'), 'multi');
    assert.equal(await rig.vf.setXcastMode('promisc'), 'multi');
    assert.equal(rig.vf.xcastMode, 'multi');
    const trusted = await ready(vfRig('sim:family=x540,trust=on'));
    await assert.rejects(trusted.vf.setXcastMode('promisc'), (e: unknown) => e instanceof PfNackError && /trust on/.test(e.hint!) && /promisc on/.test(e.hint!));
    assert.equal(await trusted.vf.setXcastMode('allmulti'), 'allmulti');
  });

  it('RETA / RSS key on X550-class VFs: refused locally (NotSupported, exit 6) with the true reason, nothing sent', async () => {
    for (const family of ['x550', 'x550em_x', 'x550em_a', 'e610']) {
      const rig = await ready(vfRig(`sim:family=${family}`));
      for (const call of [() => rig.vf.getReta(), () => rig.vf.getRssKey()]) {
        await assert.rejects(call(), (e: unknown) => e instanceof NotSupportedError && e.exitCode === 6 && /own registers \(VFRETA\/VFRSSRK\)/.test(e.message) && e.hint === undefined);
      }
      assert.deepEqual(rig.tx, [], family);
    }
    const x540 = await ready(vfRig('sim:family=x540,rss=on'));
    assert.equal((await x540.vf.getReta()).length, 128);
  });

  it('xcast PROMISC on 82599: refused locally whatever the trust; X540 trusted with a promiscuous PF is granted it', async () => {
    for (const spec of ['sim:trust=on,promisc=on', 'sim:trust=off']) {
      const rig = await ready(vfRig(spec));
      await assert.rejects(rig.vf.setXcastMode('promisc'), (e: unknown) => e instanceof NotSupportedError && /82599 PF never grants a VF unicast promiscuous mode/.test(e.message));
      assert.deepEqual(rig.tx, [], spec);
    }
    const x540 = await ready(vfRig('sim:family=x540,trust=on,promisc=on'));
    assert.equal(await x540.vf.setXcastMode('promisc'), 'promisc');
  });

  it('GET_RETA without query_rss → `query_rss on` hint', async () => {
    const rig = await ready(vfRig('sim'));
    await assert.rejects(rig.vf.getReta(), (e: unknown) => e instanceof PfNackError && e.hint!.includes('query_rss on'));
    await assert.rejects(rig.vf.getRssKey(), (e: unknown) => e instanceof PfNackError && e.hint!.includes('query_rss on'));
  });

  it('NotSupported gating per API (1.2 PF: no promisc; 1.1 PF: no xcast/reta)', async () => {
    const r12 = await ready(vfRig('sim:api=1.2,family=x540'));
    await assert.rejects(r12.vf.setXcastMode('promisc'), (e: unknown) => e instanceof NotSupportedError && /needs mailbox API 1.3; the PF agreed to 1.2/.test(e.message));
    await assert.rejects(r12.vf.getPfLinkState(), NotSupportedError);
    await assert.rejects(r12.vf.negotiateFeatures(0), NotSupportedError);
    const r11 = await ready(vfRig('sim:api=1.1'));
    await assert.rejects(r11.vf.setXcastMode('multi'), /needs mailbox API 1.2; the PF agreed to 1.1/);
    await assert.rejects(r11.vf.getReta(), NotSupportedError);
    await assert.rejects(r11.vf.getLinkState(), NotSupportedError);
    assert.deepEqual(r11.tx, []);
  });
});

describe('vf multicast overflow', () => {
  const groups = (n: number): string[] => Array.from({ length: n }, (_, i) => `01:00:5e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`);

  it('> 30 at API ≥ 1.2 (trusted): 30 hashes + ALLMULTI; back to ≤ 30 restores the mode', async () => {
    const rig = await ready(vfRig('sim:trust=on'));
    const pf = ixgbe(rig.sim.pf);
    assert.deepEqual(await rig.vf.setMulticast(groups(40)), { programmed: 30, overflow: 'allmulti' });
    assert.equal(pf.state.multicastHashes.length, 30);
    assert.equal(pf.state.xcastMode, 2);
    const mcMsg = rig.tx.find((m) => m[0]! & 0xffff && (m[0]! & 0xffff) === 3)!;
    assert.equal(mcMsg[0], 0x001e0003);
    assert.equal(mcMsg.length, 16);
    assert.deepEqual(await rig.vf.setMulticast(groups(3)), { programmed: 3, overflow: 'none' });
    assert.equal(pf.state.xcastMode, 1);
  });

  it('> 30 untrusted: the PF downgrades → truncated', async () => {
    const rig = await ready(vfRig('sim'));
    assert.deepEqual(await rig.vf.setMulticast(groups(31)), { programmed: 30, overflow: 'truncated' });
  });

  it('> 30 below API 1.2: truncated, no xcast message', async () => {
    const rig = await ready(vfRig('sim:api=1.1'));
    assert.deepEqual(await rig.vf.setMulticast(groups(31)), { programmed: 30, overflow: 'truncated' });
    assert.ok(rig.tx.every((m) => (m[0]! & 0xffff) !== 0x0c));
  });

  it('igb: the real count in MSGINFO (> 30 → PF multicast promiscuous)', async () => {
    const rig = await ready(vfRig('sim:family=82576'));
    assert.deepEqual(await rig.vf.setMulticast(groups(33)), { programmed: 30, overflow: 'allmulti' });
    assert.equal(rig.tx[0]![0], 0x00210003);
    assert.deepEqual(unpackHashes(rig.tx[0]!.slice(1), 2), [0x000, 0x010]);
  });
});

describe('vf CTS loss, pings and recovery', () => {
  it('a ping with CTS that overwrote the reply: reported (pf-message + link), the request is re-sent once', async () => {
    const rig = await ready(vfRig('sim'));
    rig.sim.faults.injectPing(0x20000100, 'after-reply');
    assert.equal((await rig.vf.getQueues()).txQueues, 4);
    await rig.settle();
    assert.deepEqual(rig.pfMessages, [0x20000100]);
    assert.equal(rig.links.length, 1);
    assert.equal(rig.vf.needsReset, false);
    assert.deepEqual(rig.tx, [[9, 0, 0, 0, 0], [9, 0, 0, 0, 0]]);
  });

  for (const family of ['82599', '82576'] as const) {
    it(`${family}: a ping with CTS read in place of the reply after the PF took the request: re-sent after a short grace, not after the 1-s budget`, async () => {
      // The stock ixgbe PF's link-up ping overwrote its own SET_VLAN reply 0.3 ms after writing it (session 9's
      // reset storm): the request then waited out its whole budget. The PF had ACKed it, and it writes its reply
      // in the same interrupt handler that ACKed it (ixgbe_msix_other → ixgbe_msg_task → ixgbe_rcv_msg_from_vf),
      // so a reply that has not come within the grace never will.
      const rig = await ready(vfRig(`sim:family=${family}`));
      rig.sim.faults.injectPing(0x20000100, 'after-reply');
      const t0 = rig.clock.now();
      await rig.vf.setMac('02:00:00:00:00:31');
      const waited = rig.clock.now() - t0;
      assert.equal(rig.vf.counters.timeouts, 0, 'the lost reply was not waited out');
      assert.ok(waited >= PF_REPLY_GRACE_AFTER_PING_MS && waited < 2 * PF_REPLY_GRACE_AFTER_PING_MS + 20, `re-sent after the grace (${waited} ms on the virtual clock)`);
      assert.equal(rig.tx.length, 2);
      assert.deepEqual(rig.tx[0], rig.tx[1]);
    });
  }

  it('a ping read before the PF took the request (no PFACK yet): the reply may still come, so the whole budget is kept', async () => {
    const rig = await ready(vfRig('sim', { interrupts: false }));
    rig.sim.pf.autoRun = false; // the PF has not got round to our request yet
    const pending = rig.vf.getQueues();
    await rig.settle(2);
    assert.equal(rig.tx.length, 1);
    await rig.sim.pf.setLinkUp(false); // its link-down ping, with CTS
    rig.sim.pf.autoRun = true;
    assert.equal((await pending).txQueues, 4);
    assert.deepEqual(rig.pfMessages, [0x20000100]);
    // That ping flushed the request (the PF's write clears VFREQ), which the VF cannot see: it waited out
    // the budget, as for a PF that is only slow, then sent the request again.
    assert.equal(rig.vf.counters.timeouts, 1);
    assert.equal(rig.tx.length, 2);
  });

  it('a PF handler held up between the ping and its reply until the VF sent again: the late reply answers the re-sent request, nothing stray is left for the next one', async () => {
    const rig = await ready(vfRig('sim'));
    rig.sim.faults.injectPing(0x20000100, 'before-reply', { replyAfterVfWrites: true });
    assert.equal(await rig.vf.setVlan(100, true), undefined);
    await rig.settle();
    // The late reply overwrote the re-sent request (the PF's write flushes VFREQ): one reply for two sends.
    assert.equal(rig.tx.length, 2);
    assert.equal(rig.rx.filter((m) => (m[0]! & 0xffff) === 4).length, 1);
    assert.equal(rig.pfMessages.filter((w) => w !== 0x20000100).length, 0, 'no stray reply reached the VF');
    // The next request of the same kind is answered by its own reply.
    assert.equal(await rig.vf.setVlan(200, true), undefined);
    assert.equal(rig.rx.filter((m) => (m[0]! & 0xffff) === 4).length, 2);
    const vlans = ixgbe(rig.sim.pf).vf(0).vlans;
    assert.ok(vlans.has(100) && vlans.has(200), `the PF filters ${[...vlans].join(', ')}`);
    assert.equal(rig.vf.needsReset, false);
  });

  it('a ping with CTS that overwrote the VF_RESET reply (rig: the link-up ping right after the reset): VF_RESET re-sent at once, no timeout', async () => {
    // The rig's stock ixgbe PF pings on link-up (ixgbe_watchdog_link_is_up → ixgbe_ping_all_vfs) right after
    // answering our VF_RESET, and its write does not wait for us to read the reply: we find the ping alone.
    const rig = vfRig('sim:mac=02:11:22:33:44:55');
    rig.sim.faults.injectPing(0x20000100, 'after-reply');
    assert.deepEqual(await rig.vf.reset(), { permanentMac: '02:11:22:33:44:55', mcFilterType: 0 });
    await rig.settle();
    assert.equal(rig.vf.counters.timeouts, 0, 'the lost reply was not waited out');
    assert.deepEqual(rig.tx, [[0x00000001], [0x00000001]]);
    assert.deepEqual(rig.pfMessages, [0x20000100]);
    assert.equal(rig.vf.needsReset, false);
    assert.equal(await rig.vf.negotiateApi(), ApiVersion.V1_7, 'the PF took the re-sent reset: negotiation goes through');
  });

  it('a PF whose ping overwrites every VF_RESET reply: VF_RESET re-sent at most MAX_RESET_RESENDS times, then the budget ends it', async () => {
    const rig = vfRig('sim:mac=02:11:22:33:44:55');
    for (let i = 0; i <= MAX_RESET_RESENDS + 1; i++) rig.sim.faults.injectPing(0x20000100, 'after-reply');
    await assert.rejects(rig.vf.reset(), MailboxTimeoutError);
    assert.deepEqual(rig.tx, Array.from({ length: 1 + MAX_RESET_RESENDS }, () => [0x00000001]));
    assert.equal(rig.vf.counters.timeouts, 1);
  });

  for (const family of ['82599', '82576'] as const) {
    it(`${family}: the PF goes into reset after VF_RESET was sent (its reset drops the message): the reset waits for the PF to come back and sends VF_RESET again, no 1-s budget waited out`, async () => {
      // The igb rig: the daemon starts its VF reset on the PF's going-down ping (0x100), before igb_down
      // reaches its hardware reset; that reset drops our VF_RESET, and the write waited 1 s for a PFACK
      // that never came, then the recovery's fallback timer retried (~2 s per PF down/up).
      const rig = await ready(vfRig(`sim:family=${family},mac=02:11:22:33:44:55`));
      const pf = rig.sim.pf;
      pf.autoRun = false; // the PF is busy going down: our VF_RESET waits
      const resetting = rig.vf.reset();
      for (let i = 0; i < 50 && rig.tx.length === 0; i++) await rig.settle(1);
      assert.deepEqual(rig.tx, [[0x00000001]]);
      await pf.interfaceDown(); // RSTI: the PF's hardware reset, the mailbox forgotten
      pf.autoRun = true;
      await rig.settle(5);
      await pf.interfaceUp(); // PFRSTD: RSTD
      assert.deepEqual(await resetting, { permanentMac: '02:11:22:33:44:55', mcFilterType: 0 });
      assert.equal(rig.vf.counters.timeouts, 0, 'nothing waited out its budget');
      assert.deepEqual(rig.tx, [[0x00000001], [0x00000001]]);
      assert.equal(rig.vf.needsReset, false);
      assert.equal(await rig.vf.negotiateApi(), family === '82576' ? ApiVersion.V1_0 : ApiVersion.V1_7);
      // The PF's reset cleared the VF's interrupt registers too: the mailbox interrupt was programmed again,
      // so the PF's next reset reaches the VF as an event (the rig's daemon saw none before this).
      const seen = rig.pfResets.length;
      await pf.interfaceDown();
      await rig.settle();
      assert.ok(rig.pfResets.length > seen, 'the next PF reset raised pf-reset');
    });
  }

  it('a PF that goes into reset after VF_RESET and stays down: PfResetTimeoutError (ERR_PF_IN_RESET) after the RSTI budget, not a mailbox timeout', async () => {
    const rig = await ready(vfRig('sim'));
    const pf = rig.sim.pf;
    pf.autoRun = false;
    const resetting = rig.vf.reset();
    for (let i = 0; i < 50 && rig.tx.length === 0; i++) await rig.settle(1);
    await pf.interfaceDown();
    pf.autoRun = true;
    await assert.rejects(resetting, (e: unknown) => e instanceof PfResetTimeoutError && e.code === 'ERR_PF_IN_RESET');
    assert.equal(rig.vf.needsReset, true);
    assert.deepEqual(rig.tx, [[0x00000001]]);
  });

  it('a ping written just before the VF_RESET reply is overwritten by it (never seen): VF_RESET sent once', async () => {
    const rig = vfRig('sim:mac=02:11:22:33:44:55');
    rig.sim.faults.injectPing(0x20000100, 'before-reply');
    assert.deepEqual(await rig.vf.reset(), { permanentMac: '02:11:22:33:44:55', mcFilterType: 0 });
    assert.equal(rig.vf.counters.timeouts, 0);
    assert.deepEqual(rig.tx, [[0x00000001]]);
  });

  it('a ping without CTS after the reply is found by the next request: ResetRequiredError', async () => {
    const rig = await ready(vfRig('sim', { interrupts: false }));
    rig.sim.faults.injectPing(0x00000100, 'after-reply');
    await assert.rejects(rig.vf.getQueues(), ResetRequiredError);
    assert.equal(rig.vf.needsReset, true);
  });

  it('trust change (ping without CTS) → pf-reset via the interrupt handler, fail fast, reset recovers', async () => {
    const rig = await ready(vfRig('sim:mac=02:11:22:33:44:55'));
    await ixgbe(rig.sim.pf).setTrust(true);
    await rig.settle();
    assert.ok(rig.pfMessages.includes(0x00000100));
    assert.ok(rig.pfResets.length >= 1);
    assert.equal(rig.vf.needsReset, true);
    await assert.rejects(rig.vf.setMac('02:aa:bb:cc:dd:ee'), ResetRequiredError);
    await rig.vf.reset();
    await rig.vf.negotiateApi();
    await rig.vf.setMac('02:aa:bb:cc:dd:ee');
    assert.equal(ixgbe(rig.sim.pf).state.mac, '02:aa:bb:cc:dd:ee');
  });

  it('no ACK/NACK ping-pong once a reset is needed (a Linux PF answers every ACK with a bare NACK)', async () => {
    const rig = await ready(vfRig('sim'));
    const pf = ixgbe(rig.sim.pf);
    await pf.mddEvent(); // CTS dropped (the ping even carries CTS)
    await rig.settle();
    await assert.rejects(rig.vf.getQueues(), ResetRequiredError); // NACK without CTS
    await rig.settle(200);
    const bareNacks = pf.sent.filter((m) => m.words[0] === 0x40000000).length;
    assert.ok(bareNacks <= 2, `PF sent ${bareNacks} bare NACKs`);
    await rig.vf.reset();
    await rig.vf.negotiateApi();
    await rig.vf.getQueues();
  });

  it('checkPfEvents() with nothing of the PF pending reads VFMAILBOX once and writes nothing (issue 15, target 1)', async () => {
    const rig = vfRig('sim', { interrupts: false });
    let reads = 0;
    let writes = 0;
    const regs = rig.sim.regs;
    const vf = new (rig.vf.constructor as typeof import('../../src/vf/vf.js').Vf)({
      regs: { read32: (o) => (reads++, regs.read32(o)), write32: (o, v) => (writes++, regs.write32(o, v)) },
      irqs: rig.sim.irqs,
      family: rig.sim.family,
      clock: rig.clock,
      interrupts: false,
    });
    rig.vf.close();
    await vf.reset();
    await vf.negotiateApi();
    [reads, writes] = [0, 0];
    assert.deepEqual(await vf.checkPfEvents(), { pfReset: false, messages: [] });
    assert.deepEqual({ reads, writes }, { reads: 1, writes: 0 });
    // With a PF word waiting, the check goes on and reads it (the one read kept PFSTS in the shadow).
    await ixgbe(rig.sim.pf).setTrust(true);
    await rig.sim.pf.idle();
    assert.deepEqual(await vf.checkPfEvents(), { pfReset: true, messages: [0x00000100] });
    vf.close();
  });

  it('poll mode: checkPfEvents() finds the ping without CTS', async () => {
    const rig = await ready(vfRig('sim', { interrupts: false }));
    await ixgbe(rig.sim.pf).setTrust(true);
    await rig.sim.pf.idle();
    const result = await rig.vf.checkPfEvents();
    assert.deepEqual(result, { pfReset: true, messages: [0x00000100] });
    await rig.settle();
    assert.equal(rig.pfResets.length, 1);
    assert.equal(rig.vf.needsReset, true);
  });

  it('reply without CTS (the ping was lost) → ResetRequiredError, then reset() works again', async () => {
    const rig = await ready(vfRig('sim', { interrupts: false }));
    rig.sim.faults.pfLockFailures = 1; // the PF's ping is lost
    await ixgbe(rig.sim.pf).setTrust(true);
    await rig.sim.pf.idle();
    await assert.rejects(rig.vf.getQueues(), (e: unknown) => e instanceof ResetRequiredError && /0x40000009/.test(e.message));
    assert.equal(rig.vf.needsReset, true);
    await rig.vf.reset();
    await rig.vf.negotiateApi();
    assert.equal((await rig.vf.getQueues()).rxQueues, 4);
  });

  it('PF down/up: pf-reset from RSTI/RSTD, reset works once the PF is up', async () => {
    const rig = await ready(vfRig('sim'));
    const pf = ixgbe(rig.sim.pf);
    await pf.interfaceDown();
    await rig.settle();
    assert.ok(rig.pfResets.length >= 1);
    await assert.rejects(rig.vf.reset(), PfResetTimeoutError);
    await pf.interfaceUp();
    await rig.settle();
    await rig.vf.reset();
    assert.equal(await rig.vf.negotiateApi(), ApiVersion.V1_7);
  });

  it('PF reset in the middle of a request → ResetRequiredError without waiting for the timeout', async () => {
    const rig = await ready(vfRig('sim', { interrupts: false }));
    rig.sim.faults.resetMidTransaction = { upAfterMs: 50 };
    await assert.rejects(rig.vf.getQueues(), ResetRequiredError);
    assert.equal(rig.vf.counters.timeouts, 0);
    await rig.clock.sleep(100);
    await rig.settle();
    await rig.vf.reset();
    await rig.vf.negotiateApi();
  });

  it('ixgbe: silent PF → MailboxTimeoutError for that call; the next request is sent normally and keeps the PF state', async () => {
    const rig = await ready(vfRig('sim'));
    await rig.vf.setMac('02:00:00:00:00:07');
    rig.sim.faults.pfSilent = true;
    await assert.rejects(rig.vf.getQueues(), (e: unknown) => e instanceof MailboxTimeoutError && e.code === 'ERR_MBX_TIMEOUT');
    assert.equal(rig.vf.counters.timeouts, 1);
    assert.equal(rig.vf.needsReset, false, 'not sticky on ixgbe (a reset would make the PF drop filters, VLANs and the API)');
    rig.sim.faults.pfSilent = false;
    const before = rig.tx.length;
    assert.equal((await rig.vf.getQueues()).txQueues, 4);
    assert.equal(rig.tx.slice(before).some((w) => w[0] === 1), false, 'no VF_RESET sent');
    assert.equal(ixgbe(rig.sim.pf).state.mac, '02:00:00:00:00:07');
  });

  it('igb: silent PF → MailboxTimeoutError, then fail fast until reset (igbvf zeroes its timeout)', async () => {
    const rig = await ready(vfRig('sim:family=82576'));
    rig.sim.faults.pfSilent = true;
    await assert.rejects(rig.vf.setVlan(5, true), MailboxTimeoutError);
    assert.equal(rig.vf.needsReset, true);
    await assert.rejects(rig.vf.setVlan(5, true), ResetRequiredError);
    rig.sim.faults.pfSilent = false;
    await rig.vf.reset();
    await rig.vf.setVlan(5, true);
  });

  it('PF lock contention on the VF lock: retried, the request succeeds', async () => {
    const rig = await ready(vfRig('sim'));
    rig.sim.faults.pfHoldsLockOnVfLock = 3;
    assert.equal((await rig.vf.getQueues()).txQueues, 4);
  });
});

describe('vf igb dialect', () => {
  it('3-word reset, 1-word replies, SET_PROMISC for allmulti, no promisc, no ixgbe-only messages', async () => {
    const rig = vfRig('sim:family=82576,mac=02:11:22:33:44:55');
    const r = await rig.vf.reset();
    assert.deepEqual(r, { permanentMac: '02:11:22:33:44:55', mcFilterType: 0 });
    assert.equal(rig.rx[0]!.length, 3);
    await rig.vf.negotiateApi();
    rig.tx.length = 0;
    rig.rx.length = 0;
    await rig.vf.setVlan(7, true);
    assert.equal(await rig.vf.setXcastMode('allmulti'), 'allmulti');
    assert.deepEqual(rig.tx, [[0x00010004, 7], [0x00020006]]);
    assert.ok(rig.rx.every((m) => m.length === 1));
    await assert.rejects(rig.vf.setXcastMode('promisc'), NotSupportedError);
    await assert.rejects(rig.vf.setMacvlan(1, '02:00:00:00:00:01'), NotSupportedError);
    await assert.rejects(rig.vf.getQueues(), NotSupportedError);
    assert.equal(rig.vf.link().source, 'STATUS');
  });
});

describe('vf mailbox waits: interrupt vs timer wakeups', () => {
  it('interrupt mode: replies wake the waits by interrupt, the 10 ms fallback timer never runs', async () => {
    const rig = await ready(vfRig('sim:family=x540'));
    const before = rig.vf.counters;
    await rig.vf.setMac('02:00:00:00:00:42');
    await rig.vf.getQueues();
    const c = rig.vf.counters;
    assert.ok(c.irqWakeups > before.irqWakeups, `irqWakeups ${c.irqWakeups}`);
    assert.equal(c.timerWakeups, before.timerWakeups);
    assert.ok(c.interrupts >= c.irqWakeups);
    rig.vf.close();
  });

  it('poll mode: every wakeup is a timer round and no interrupt is counted', async () => {
    const rig = await ready(vfRig('sim:family=x540', { interrupts: false }));
    await rig.vf.setMac('02:00:00:00:00:42');
    const c = rig.vf.counters;
    assert.equal(c.irqWakeups, 0);
    assert.equal(c.interrupts, 0);
    assert.ok(c.timerWakeups > 0);
    rig.vf.close();
  });
});
