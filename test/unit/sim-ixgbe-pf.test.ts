import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiVersion } from '../../src/hw/api.js';
import { MbxBit } from '../../src/hw/mailbox.js';
import { MsgId, XcastMode } from '../../src/hw/messages.js';
import { createSimulatedPf, LinuxIxgbePf, RawVfMailbox, type SimulatedPfOptions } from '../../src/sim/index.js';

// Signed, so that `word & ACK` (an int32 in JS) compares equal.
const ACK = 0x80000000 | 0;
const NACK = 0x40000000;
const CTS = 0x20000000;

function setup(opts: SimulatedPfOptions = {}) {
  const sim = createSimulatedPf({ autoRun: false, ...opts });
  const vf = sim.vf();
  const raw = new RawVfMailbox(vf.regs, vf.family);
  const pf = sim.pf as LinuxIxgbePf;
  assert.ok(pf instanceof LinuxIxgbePf);
  /** Send, let the PF run, receive n words, let the PF see our ACK. Undefined = no PFSTS (no reply). */
  async function transact(words: number[], n = 16): Promise<number[] | undefined> {
    assert.ok(raw.send(words), 'VF lock');
    await pf.runPending();
    if ((raw.status() & MbxBit.PFSTS) === 0) return undefined;
    const reply = raw.receive(n);
    await pf.runPending();
    return reply;
  }
  async function reset(): Promise<number[]> {
    const r = await transact([0x00000001], 4);
    assert.ok(r);
    return r;
  }
  async function negotiate(api: ApiVersion): Promise<number> {
    const r = await transact([MsgId.API_NEGOTIATE, api, 0]);
    return r![0]!;
  }
  return { sim, raw, pf, transact, reset, negotiate };
}

describe('ixgbe PF: RESET and CTS', () => {
  it('reset reply is 4 words without CTS: ACK + MAC (byte0 = bits 7:0 of word 1) with an admin MAC', async () => {
    const { reset, pf } = setup({ adminMac: '02:11:22:33:44:55' });
    const r = await reset();
    assert.deepEqual(r, [0x80000001, 0x33221102, 0x5544, 0]);
    assert.equal(pf.state.cts, true);
    assert.equal(pf.state.macFilterInstalled, true);
  });

  it('reset reply is NACK with zero MAC when no admin MAC, even if the VF set one itself earlier', async () => {
    const { reset, transact, pf } = setup();
    assert.deepEqual(await reset(), [0x40000001, 0, 0, 0]);
    const r = await transact([MsgId.SET_MAC_ADDR, 0x33221102, 0x5544]);
    assert.equal(r![0], (MsgId.SET_MAC_ADDR | ACK | CTS) >>> 0);
    assert.equal(pf.state.mac, '02:11:22:33:44:55');
    assert.deepEqual(await reset(), [0x40000001, 0, 0, 0]);
    assert.equal(pf.state.mac, '02:11:22:33:44:55', 'stored MAC kept');
    assert.equal(pf.state.macFilterInstalled, true, 're-installed at VF_RESET');
  });

  it('the reset zeroes mailbox memory before replying (words 4..15 are 0)', async () => {
    const { raw, pf } = setup();
    raw.lock();
    for (let i = 0; i < 16; i++) raw.setWord(i, 0xaaaa0000 + i);
    raw.setWord(0, 1);
    raw.writeMailbox(MbxBit.REQ);
    await pf.runPending();
    assert.equal(raw.receive(16)!.slice(4).every((w) => w === 0), true);
  });

  it('every message before RESET is NACKed without CTS (1 word, rest of buffer untouched)', async () => {
    const { transact } = setup();
    for (const id of [MsgId.API_NEGOTIATE, MsgId.SET_MAC_ADDR, MsgId.GET_QUEUES, MsgId.SET_LPE]) {
      const r = await transact([id, 0x1234, 0x5678]);
      assert.equal(r![0], (id | NACK) >>> 0);
      assert.equal(r![1], 0x1234);
    }
  });

  it('RESET only on exact 0x00000001; with MSGINFO bits it is an unknown message (NACK, no CTS yet)', async () => {
    const { transact, pf } = setup();
    const r = await transact([0x00010001], 4);
    assert.equal(r![0], (0x00010001 | NACK) >>> 0);
    assert.equal(pf.state.cts, false);
  });

  it('a word 0 with ACK or NACK set is ignored (no reply)', async () => {
    const { transact, reset, pf } = setup();
    await reset();
    assert.equal(await transact([(MsgId.GET_QUEUES | ACK) >>> 0]), undefined);
    assert.equal(pf.log.at(-1)!.result, 'ignored');
  });

  it('rcv_ack writes a bare 0x40000000 when the VF ACKs while not CTS, nothing when CTS', async () => {
    const { raw, pf, reset, sim } = setup();
    await pf.setTrust(true); // ping 0x100, CTS false
    assert.equal(raw.status() & MbxBit.PFSTS, MbxBit.PFSTS);
    assert.deepEqual(raw.receive(1), [0x00000100]);
    await pf.runPending();
    assert.equal(raw.status() & MbxBit.PFSTS, MbxBit.PFSTS);
    assert.deepEqual(raw.receive(1), [0x40000000]);
    await reset();
    const sentBefore = sim.pf.sent.length;
    raw.writeMailbox(MbxBit.ACK);
    await pf.runPending();
    assert.equal(sim.pf.sent.length, sentBefore, 'no message when CTS');
  });
});

describe('ixgbe PF: the single-try lock', () => {
  it('REQ written together with VFU makes the PF lock fail: message lost, VFREQ cleared, no reply', async () => {
    const { raw, pf, sim } = setup();
    raw.lock();
    raw.setWord(0, 1);
    raw.writeMailbox(MbxBit.REQ | MbxBit.VFU);
    await pf.runPending();
    assert.equal(raw.status() & (MbxBit.PFSTS | MbxBit.PFACK), 0, 'no ACK, no reply');
    assert.equal(pf.log.at(-1)!.result, 'dropped');
    assert.match(pf.dmesg.join('\n'), /Error receiving message from VF/);
    assert.equal(sim.hw.vf(0).state.vfreq, false, 'VFREQ already cleared');
    assert.equal(pf.state.cts, false);
  });

  it('the PF read writes exactly ACK and the reply exactly STS (trace)', async () => {
    const { raw, pf, sim } = setup();
    raw.send([1]);
    sim.hw.tracing = true;
    await pf.runPending();
    const pfMbx = sim.hw.trace.filter((t) => t.side === 'pf' && t.op === 'w' && t.offset === 0x4b00).map((t) => t.value);
    assert.deepEqual(pfMbx, [0x08, 0x02, 0x08, 0x01]);
  });

  it('a ping is lost when the VF holds VFU at that instant', async () => {
    const { raw, pf, reset } = setup();
    await reset();
    raw.lock();
    await pf.setTrust(true);
    assert.equal(pf.sent.at(-1)!.delivered, false);
    raw.writeMailbox(0);
    assert.equal(raw.status() & MbxBit.PFSTS, 0);
  });
});

describe('ixgbe PF: API negotiation', () => {
  it('newest PF accepts 1.0,1.1,1.2,1.3,1.4,1.6,1.7 and NACKs 2.0, 1.5 and unknown', async () => {
    const { reset, negotiate, pf } = setup();
    await reset();
    for (const api of [ApiVersion.V1_0, ApiVersion.V1_1, ApiVersion.V1_2, ApiVersion.V1_3, ApiVersion.V1_4, ApiVersion.V1_6, ApiVersion.V1_7]) {
      assert.equal(await negotiate(api), (MsgId.API_NEGOTIATE | ACK | CTS) >>> 0, `api ${api}`);
      assert.equal(pf.state.api, api);
    }
    for (const api of [ApiVersion.V2_0, ApiVersion.V1_5, 9, 0x100]) {
      assert.equal(await negotiate(api as ApiVersion), (MsgId.API_NEGOTIATE | NACK | CTS) >>> 0, `api ${api}`);
    }
  });

  it('newestApi 1.3 accepts only 1.0–1.3; 1.4 adds 1.4', async () => {
    const a = setup({ newestApi: ApiVersion.V1_3 });
    await a.reset();
    assert.equal((await a.negotiate(ApiVersion.V1_4)) & NACK, NACK);
    assert.equal((await a.negotiate(ApiVersion.V1_7)) & NACK, NACK);
    assert.equal((await a.negotiate(ApiVersion.V1_3)) & ACK, ACK);
    const b = setup({ newestApi: ApiVersion.V1_4 });
    await b.reset();
    assert.equal((await b.negotiate(ApiVersion.V1_6)) & NACK, NACK);
    assert.equal((await b.negotiate(ApiVersion.V1_4)) & ACK, ACK);
  });

  it('VF reset (VFLR) sets API back to 1.0 and drops filters, keeps CTS, stored MAC and xcast mode', async () => {
    const { reset, negotiate, transact, raw, pf } = setup({ trusted: true });
    await reset();
    await negotiate(ApiVersion.V1_4);
    await transact([MsgId.SET_MAC_ADDR, 0x33221102, 0x5544]);
    await transact([MsgId.SET_VLAN | (1 << 16), 100]);
    await transact([MsgId.SET_MULTICAST | (2 << 16), 0x00020001]);
    await transact([MsgId.UPDATE_XCAST_MODE, XcastMode.ALLMULTI]);
    raw.resetVf();
    await pf.runPending();
    const s = pf.state;
    assert.equal(s.api, ApiVersion.V1_0);
    assert.deepEqual([...s.vlans], [0]);
    assert.deepEqual(s.multicastHashes, []);
    assert.equal(s.macFilterInstalled, false);
    assert.equal(s.mac, '02:11:22:33:44:55');
    assert.equal(s.xcastMode, XcastMode.ALLMULTI);
    assert.equal(s.cts, true);
  });
});

describe('ixgbe PF: NACK rules', () => {
  async function ready(opts: SimulatedPfOptions = {}, api: ApiVersion = ApiVersion.V1_4) {
    const t = setup(opts);
    await t.reset();
    await t.negotiate(api);
    return t;
  }

  it('SET_MAC_ADDR: invalid (multicast/zero) NACK; admin MAC + untrusted + different NACK; same ACK; trusted ACK', async () => {
    const t = await ready({ adminMac: '02:00:00:00:00:01' });
    assert.equal((await t.transact([MsgId.SET_MAC_ADDR, 0x00000001, 0]))![0]! & NACK, NACK, 'multicast');
    assert.equal((await t.transact([MsgId.SET_MAC_ADDR, 0, 0]))![0]! & NACK, NACK, 'zero');
    assert.equal((await t.transact([MsgId.SET_MAC_ADDR, 0x00000002, 0x0200]))![0]! & NACK, NACK, 'different');
    assert.match(t.pf.dmesg.join('\n'), /attempted to override administratively set MAC address/);
    assert.equal((await t.transact([MsgId.SET_MAC_ADDR, 0x00000002, 0x0100]))![0], (MsgId.SET_MAC_ADDR | ACK | CTS) >>> 0, 'same');
    const u = await ready({ adminMac: '02:00:00:00:00:01', trusted: true });
    assert.equal((await u.transact([MsgId.SET_MAC_ADDR, 0x00000002, 0x0200]))![0]! & ACK, ACK);
    assert.equal(u.pf.state.mac, '02:00:00:00:00:02');
  });

  it('SET_MULTICAST always ACKs, clamps to 30 hashes and stores them', async () => {
    const t = await ready();
    const words = [MsgId.SET_MULTICAST | (31 << 16)];
    for (let i = 0; i < 15; i++) words.push(((2 * i + 1) << 16) | (2 * i));
    const r = await t.transact(words);
    assert.equal(r![0], (MsgId.SET_MULTICAST | (31 << 16) | ACK | CTS) >>> 0);
    assert.equal(t.pf.state.multicastHashes.length, 30);
    assert.deepEqual(t.pf.state.multicastHashes.slice(0, 3), [0, 1, 2]);
  });

  it('SET_VLAN: port VLAN NACK; remove VLAN 0 ACK without action; add/remove maintain the set', async () => {
    const t = await ready();
    assert.equal((await t.transact([MsgId.SET_VLAN | (1 << 16), 5]))![0]! & ACK, ACK);
    assert.ok(t.pf.state.vlans.has(5));
    assert.equal((await t.transact([MsgId.SET_VLAN, 0]))![0]! & ACK, ACK);
    assert.ok(t.pf.state.vlans.has(0));
    assert.equal((await t.transact([MsgId.SET_VLAN, 5]))![0]! & ACK, ACK);
    assert.ok(!t.pf.state.vlans.has(5));
    const p = await ready({ portVlan: 7 });
    assert.equal((await p.transact([MsgId.SET_VLAN | (1 << 16), 5]))![0]! & NACK, NACK);
    assert.match(p.pf.dmesg.join('\n'), /administratively set VLAN/);
  });

  it('SET_LPE: range 68..9728', async () => {
    const t = await ready({ family: 'X540' });
    assert.equal((await t.transact([MsgId.SET_LPE, 67]))![0]! & NACK, NACK);
    assert.equal((await t.transact([MsgId.SET_LPE, 9729]))![0]! & NACK, NACK);
    assert.equal((await t.transact([MsgId.SET_LPE, 9728]))![0]! & ACK, ACK);
  });

  it('SET_LPE on 82599: API 1.0 with jumbo PF or frame > 1518 NACK (VFRE off); API 1.1 with jumbo PF ACK (VFRE on)', async () => {
    const a = await ready({}, ApiVersion.V1_0);
    assert.equal((await a.transact([MsgId.SET_LPE, 1522]))![0]! & NACK, NACK);
    assert.equal(a.pf.state.rxEnabled, false);
    assert.equal((await a.transact([MsgId.SET_LPE, 1518]))![0]! & ACK, ACK);
    assert.equal(a.pf.state.rxEnabled, true);
    const j = await ready({ pfMtu: 9000 }, ApiVersion.V1_0);
    assert.equal(j.pf.state.rxEnabled, false, 'VFRE off after RESET with a jumbo PF');
    assert.equal((await j.transact([MsgId.SET_LPE, 1518]))![0]! & NACK, NACK);
    const k = await ready({ pfMtu: 9000 }, ApiVersion.V1_1);
    assert.equal((await k.transact([MsgId.SET_LPE, 9018]))![0]! & ACK, ACK);
    assert.equal(k.pf.state.rxEnabled, true);
    const n = await ready({}, ApiVersion.V1_1);
    assert.equal((await n.transact([MsgId.SET_LPE, 1522]))![0]! & NACK, NACK, 'non-jumbo PF, VF frame > 1518');
  });

  it('SET_MACVLAN: admin MAC + untrusted + index>0 NACK; index 0 ACK; invalid MAC NACK; list kept', async () => {
    const a = await ready({ adminMac: '02:00:00:00:00:01' });
    assert.equal((await a.transact([MsgId.SET_MACVLAN | (1 << 16), 0x00000002, 0x0900]))![0]! & NACK, NACK);
    assert.equal((await a.transact([MsgId.SET_MACVLAN, 0, 0]))![0]! & ACK, ACK);
    const b = await ready();
    assert.equal((await b.transact([MsgId.SET_MACVLAN | (1 << 16), 0x00000002, 0x0900]))![0]! & ACK, ACK);
    assert.equal((await b.transact([MsgId.SET_MACVLAN | (2 << 16), 0x00000002, 0x0a00]))![0]! & ACK, ACK);
    assert.deepEqual(b.pf.state.macvlans, ['02:00:00:00:00:09', '02:00:00:00:00:0a']);
    assert.equal((await b.transact([MsgId.SET_MACVLAN | (2 << 16), 0x00000001, 0]))![0]! & NACK, NACK);
    assert.equal((await b.transact([MsgId.SET_MACVLAN | (1 << 16), 0x00000002, 0x0b00]))![0]! & ACK, ACK);
    assert.deepEqual(b.pf.state.macvlans, ['02:00:00:00:00:0b'], 'index 1 starts a new list');
  });

  it('GET_QUEUES: NACK at 1.0; 4 queues, trans_vlan 1 with a port VLAN, def_q 0', async () => {
    const a = await ready({}, ApiVersion.V1_0);
    assert.equal((await a.transact([MsgId.GET_QUEUES, 0, 0, 0, 0]))![0]! & NACK, NACK);
    const b = await ready({ portVlan: 9 }, ApiVersion.V1_1);
    assert.deepEqual((await b.transact([MsgId.GET_QUEUES, 0, 0, 0, 0], 5))!, [(MsgId.GET_QUEUES | ACK | CTS) >>> 0, 4, 4, 1, 0]);
  });

  it('GET_RETA / GET_RSS_KEY: NACK without query_rss, NACK below 1.2, ACK with both; query_rss refused on X550', async () => {
    const a = await ready({}, ApiVersion.V1_2);
    assert.equal((await a.transact([MsgId.GET_RETA]))![0]! & NACK, NACK);
    await a.pf.setQueryRss(true);
    const reta = (await a.transact([MsgId.GET_RETA], 9))!;
    assert.equal(reta[0]! & ACK, ACK);
    assert.equal(reta[1], 0xe4e4e4e4, 'entries 0,1,2,3 repeating');
    const key = (await a.transact([MsgId.GET_RSS_KEY], 11))!;
    assert.equal(key[0]! & ACK, ACK);
    const b = await ready({}, ApiVersion.V1_1);
    await b.pf.setQueryRss(true);
    assert.equal((await b.transact([MsgId.GET_RSS_KEY]))![0]! & NACK, NACK);
    const x = await ready({ family: 'X550' });
    await assert.rejects(x.pf.setQueryRss(true), /82599\/X540/);
  });

  it('UPDATE_XCAST_MODE: NACK at 1.1; PROMISC NACK at 1.2, on 82599, with PF not promiscuous; untrusted downgraded to MULTI with ACK', async () => {
    const a = await ready({}, ApiVersion.V1_1);
    assert.equal((await a.transact([MsgId.UPDATE_XCAST_MODE, XcastMode.MULTI]))![0]! & NACK, NACK);
    const b = await ready({ trusted: true, family: 'X540', pfPromiscuous: true }, ApiVersion.V1_2);
    assert.equal((await b.transact([MsgId.UPDATE_XCAST_MODE, XcastMode.PROMISC]))![0]! & NACK, NACK);
    const c = await ready({ trusted: true }, ApiVersion.V1_3);
    assert.equal((await c.transact([MsgId.UPDATE_XCAST_MODE, XcastMode.PROMISC]))![0]! & NACK, NACK, '82599');
    const d = await ready({ trusted: true, family: 'X540' }, ApiVersion.V1_3);
    assert.equal((await d.transact([MsgId.UPDATE_XCAST_MODE, XcastMode.PROMISC]))![0]! & NACK, NACK, 'PF not promisc');
    await d.pf.setPromiscuous(true);
    const ok = (await d.transact([MsgId.UPDATE_XCAST_MODE, XcastMode.PROMISC]))!;
    assert.deepEqual(ok.slice(0, 2), [(MsgId.UPDATE_XCAST_MODE | ACK | CTS) >>> 0, XcastMode.PROMISC]);
    const e = await ready({}, ApiVersion.V1_3);
    const down = (await e.transact([MsgId.UPDATE_XCAST_MODE, XcastMode.ALLMULTI]))!;
    assert.deepEqual(down.slice(0, 2), [(MsgId.UPDATE_XCAST_MODE | ACK | CTS) >>> 0, XcastMode.MULTI]);
    assert.equal(e.pf.state.xcastMode, XcastMode.MULTI);
    const same = (await e.transact([MsgId.UPDATE_XCAST_MODE, XcastMode.MULTI]))!;
    assert.equal(same[0]! & ACK, ACK);
  });

  it('GET_LINK_STATE: NACK below 1.2; word 1 = link_enable (0 after state disable)', async () => {
    const a = await ready({}, ApiVersion.V1_1);
    assert.equal((await a.transact([MsgId.GET_LINK_STATE, 0]))![0]! & NACK, NACK);
    const b = await ready({}, ApiVersion.V1_2);
    assert.deepEqual((await b.transact([MsgId.GET_LINK_STATE, 0], 2))!, [(MsgId.GET_LINK_STATE | ACK | CTS) >>> 0, 1]);
    await b.pf.setLinkState('disable');
    b.raw.receive(1);
    await b.pf.runPending();
    b.raw.receive(1); // bare NACK from rcv_ack
    await b.reset();
    await b.negotiate(ApiVersion.V1_2);
    assert.deepEqual((await b.transact([MsgId.GET_LINK_STATE, 0], 2))!, [(MsgId.GET_LINK_STATE | ACK | CTS) >>> 0, 0]);
  });

  it('GET_PF_LINK_STATE: E610 at 1.6/1.7 only', async () => {
    const a = await ready({ family: 'E610' }, ApiVersion.V1_6);
    assert.deepEqual((await a.transact([MsgId.GET_PF_LINK_STATE, 0, 0], 3))!, [(MsgId.GET_PF_LINK_STATE | ACK | CTS) >>> 0, 0x80, 1]);
    const b = await ready({ family: 'E610' }, ApiVersion.V1_4);
    assert.equal((await b.transact([MsgId.GET_PF_LINK_STATE, 0, 0]))![0]! & NACK, NACK);
    const c = await ready({ family: 'X550' }, ApiVersion.V1_7);
    assert.equal((await c.transact([MsgId.GET_PF_LINK_STATE, 0, 0]))![0]! & NACK, NACK);
  });

  it('FEATURES_NEGOTIATE: 1.7 only, reply = request & IPSEC', async () => {
    const a = await ready({}, ApiVersion.V1_7);
    assert.deepEqual((await a.transact([MsgId.FEATURES_NEGOTIATE, 0b11], 2))!, [(MsgId.FEATURES_NEGOTIATE | ACK | CTS) >>> 0, 0b01]);
    const b = await ready({}, ApiVersion.V1_6);
    assert.equal((await b.transact([MsgId.FEATURES_NEGOTIATE, 0b11]))![0]! & NACK, NACK);
  });

  it('IPSEC_ADD/DEL NACK (untrusted, flag off, or not modelled); unknown ID NACK with CTS', async () => {
    const a = await ready({ trusted: true, vfIpsec: true });
    assert.equal((await a.transact([MsgId.IPSEC_ADD]))![0]! & NACK, NACK);
    assert.equal((await a.transact([MsgId.IPSEC_DEL, 0]))![0]! & NACK, NACK);
    assert.equal((await a.transact([0x0f]))![0], (0x0f | NACK | CTS) >>> 0);
    assert.match(a.pf.dmesg.join('\n'), /Unhandled Msg 0000000f/);
  });

  it('replies carry all 16 words of the buffer (request words the handler did not touch stay)', async () => {
    const a = await ready();
    const words = [MsgId.SET_VLAN | (1 << 16), 12];
    for (let i = 2; i < 16; i++) words.push(0x100 + i);
    const r = (await a.transact(words))!;
    assert.deepEqual(r.slice(1), words.slice(1));
  });
});

describe('ixgbe PF: admin knobs and pings', () => {
  it('setAdminMac: no ping; learned at next RESET', async () => {
    const { pf, reset, raw } = setup();
    await reset();
    await pf.setAdminMac('02:aa:bb:cc:dd:ee');
    assert.equal(raw.status() & MbxBit.PFSTS, 0, 'no notification');
    assert.equal((await reset())[0], 0x80000001);
    await pf.setAdminMac(null);
    assert.equal((await reset())[0], 0x40000001);
  });

  it('setTrust pings 0x100 and drops CTS only when it changes', async () => {
    const { pf, reset, raw, transact } = setup();
    await reset();
    await pf.setTrust(false);
    assert.equal(raw.status() & MbxBit.PFSTS, 0);
    await pf.setTrust(true);
    assert.deepEqual(raw.receive(1), [0x100]);
    assert.equal(pf.state.cts, false);
    await pf.runPending();
    raw.receive(1);
    assert.equal((await transact([MsgId.GET_QUEUES]))![0], (MsgId.GET_QUEUES | NACK) >>> 0);
  });

  it('setLinkUp pings 0x20000100 to CTS VFs and 0x100 to others; CTS unchanged', async () => {
    const { sim, reset } = createTwo();
    await reset(0);
    await sim.pf.setLinkUp(false);
    assert.deepEqual(sim.pf.sent.slice(-2).map((s) => [s.vf, s.words[0]]), [
      [0, 0x20000100],
      [1, 0x100],
    ]);
    assert.equal((sim.pf as LinuxIxgbePf).vf(0).cts, true);
  });

  it('interfaceDown: CTS false, ping 0x100, RSTI stuck; interfaceUp: RSTD, ping 0x100 again', async () => {
    const { pf, reset, raw, sim } = setup();
    await reset();
    await pf.interfaceDown();
    assert.equal(pf.state.cts, false);
    assert.deepEqual(pf.sent.at(-1)!.words, [0x100]);
    assert.equal(raw.status(), MbxBit.RSTI);
    assert.equal(raw.status(), MbxBit.RSTI, 'stays set while the PF is down');
    // a VF reset attempt while down gets nothing
    raw.send([1]);
    await pf.runPending();
    assert.equal(raw.status() & MbxBit.PFSTS, 0);
    await pf.interfaceUp();
    const bits = raw.status();
    assert.equal(bits & MbxBit.RSTI, 0);
    assert.equal(bits & MbxBit.RSTD, MbxBit.RSTD);
    assert.equal(bits & MbxBit.PFSTS, MbxBit.PFSTS);
    assert.deepEqual(raw.receive(1), [0x100]);
    assert.equal(sim.pf.sent.at(-1)!.words[0], 0x100);
  });

  it('pf=down at start: RSTI from the beginning', () => {
    const { raw } = setup({ pfUp: false });
    assert.equal(raw.status(), MbxBit.RSTI);
  });

  it('setMtu is a down/up cycle (RSTD + 0x100) and 82599 jumbo PF disables VF Rx at the next RESET', async () => {
    const { pf, reset, raw } = setup();
    await reset();
    await pf.setMtu(9000);
    assert.equal(raw.status() & (MbxBit.RSTD | MbxBit.PFSTS), MbxBit.RSTD | MbxBit.PFSTS);
    raw.receive(1);
    await pf.runPending();
    raw.receive(1);
    await reset();
    assert.equal(pf.state.rxEnabled, false);
    await assert.rejects(pf.setMtu(10000), /out of range/);
  });

  it('setLinkState disable: link_enable false, VFRE/VFTE off, CTS false, ping 0x100', async () => {
    const { pf, reset, raw } = setup();
    await reset();
    await pf.setLinkState('disable');
    assert.equal(pf.state.linkEnable, false);
    assert.equal(pf.state.rxEnabled, false);
    assert.equal(pf.state.cts, false);
    assert.deepEqual(raw.receive(1), [0x100]);
  });

  it('mddEvent: CTS false but ping 0x20000100', async () => {
    const { pf, reset, raw, transact } = setup();
    await reset();
    await pf.mddEvent();
    assert.deepEqual(raw.receive(1), [0x20000100]);
    await pf.runPending();
    raw.receive(1);
    assert.equal((await transact([MsgId.GET_QUEUES]))![0], (MsgId.GET_QUEUES | NACK) >>> 0);
  });
});

function createTwo() {
  const sim = createSimulatedPf({ autoRun: false, vfCount: 2 });
  const raws = [0, 1].map((i) => new RawVfMailbox(sim.vf(i).regs, sim.family));
  async function reset(i: number): Promise<void> {
    raws[i]!.send([1]);
    await sim.pf.runPending();
    raws[i]!.receive(4);
    await sim.pf.runPending();
  }
  return { sim, raws, reset };
}

describe('ixgbe PF: several VFs and auto scheduling', () => {
  it('two VFs behind one PF are independent', async () => {
    const { sim, raws, reset } = createTwo();
    await reset(1);
    const pf = sim.pf as LinuxIxgbePf;
    assert.equal(pf.vf(1).cts, true);
    assert.equal(pf.vf(0).cts, false);
    assert.equal(raws[0]!.status() & MbxBit.PFSTS, 0);
  });

  it('autoRun: the PF answers on its own after setImmediate; idle() waits for it', async () => {
    const sim = createSimulatedPf({ adminMac: '02:00:00:00:00:01' });
    const raw = new RawVfMailbox(sim.vf().regs, sim.family);
    raw.send([1]);
    assert.equal(raw.status() & MbxBit.PFSTS, 0, 'not synchronous');
    await sim.pf.idle();
    assert.deepEqual(raw.receive(4)!.slice(0, 1), [0x80000001]);
    await sim.pf.idle();
  });
});
