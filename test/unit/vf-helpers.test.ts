import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidArgumentError, NotSupportedError } from '../../src/errors.js';
import { ApiVersion } from '../../src/hw/api.js';
import { familyByModel } from '../../src/hw/index.js';
import { decodeLinkRegister, decodePfLinkState } from '../../src/vf/link.js';
import { formatMac, macFromWords, macToWords, parseMac, parseMulticastMac, parseUnicastMac } from '../../src/vf/mac.js';
import { multicastHash, packHashes, unpackHashes } from '../../src/vf/multicast.js';
import { Requirements, requireSupported } from '../../src/vf/requirements.js';

describe('vf mac helpers', () => {
  it('packs in the kernel byte order: 02:11:22:33:44:55 → 0x33221102, 0x00005544', () => {
    assert.deepEqual(macToWords(parseMac('02:11:22:33:44:55')), [0x33221102, 0x00005544]);
    assert.equal(formatMac(macFromWords(0x33221102, 0x00005544)), '02:11:22:33:44:55');
  });

  it('round-trips any MAC through words (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }), (bytes) => {
        const [lo, hi] = macToWords(bytes);
        assert.deepEqual([...macFromWords(lo, hi)], bytes);
        assert.deepEqual([...parseMac(formatMac(bytes))], bytes);
      }),
    );
  });

  it('accepts ":" or "-" and either case; rejects malformed, multicast and zero as ERR_INVALID_MAC', () => {
    assert.equal(formatMac(parseMac('02-AA-bb-CC-dd-EE')), '02:aa:bb:cc:dd:ee');
    for (const bad of ['02:11:22:33:44', '02:11:22:33:44:55:66', '02:11-22:33:44:55', 'zz:11:22:33:44:55', '', '2:11:22:33:44:55']) {
      assert.throws(() => parseMac(bad), (e: unknown) => e instanceof InvalidArgumentError && e.code === 'ERR_INVALID_MAC', bad);
    }
    assert.throws(() => parseUnicastMac('01:00:5e:00:00:01'), /multicast/);
    assert.throws(() => parseUnicastMac('00:00:00:00:00:00'), /zero/);
    assert.throws(() => parseMulticastMac('02:00:00:00:00:01'), /not a multicast/);
  });
});

describe('vf multicast hash (reference §5.4)', () => {
  const mac = [0x33, 0x33, 0x00, 0x00, 0xab, 0xcd];
  it('types 0–3 take bits 47:36, 46:35, 45:34, 43:32, & 0xFFF', () => {
    assert.equal(multicastHash(mac, 0), 0xcda);
    assert.equal(multicastHash(mac, 1), 0x9b5);
    assert.equal(multicastHash(mac, 2), 0x36a);
    assert.equal(multicastHash(mac, 3), 0xdab);
    const v4 = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    assert.deepEqual([0, 1, 2, 3].map((t) => multicastHash(v4, t)), [0x010, 0x020, 0x040, 0x100]);
  });

  it('packs hashes as u16 little-endian pairs into 15 words', () => {
    const words = packHashes([0x111, 0x222, 0x333]);
    assert.equal(words.length, 15);
    assert.deepEqual(words.slice(0, 3), [0x02220111, 0x00000333, 0]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xfff }), { maxLength: 30 }), (hashes) => {
        assert.deepEqual(unpackHashes(packHashes(hashes), hashes.length), hashes);
      }),
    );
    assert.throws(() => packHashes(new Array(31).fill(1)), RangeError);
  });
});

describe('vf link decoding', () => {
  const x540 = familyByModel('X540');
  const x550 = familyByModel('X550');
  const igb = familyByModel('82576');
  it('VFLINKS: up bit, speed code, X550 non-standard speeds, reserved 10M before X550', () => {
    assert.deepEqual(decodeLinkRegister(0x70000000, x540), { up: true, speedMbps: 10000, source: 'VFLINKS' });
    assert.deepEqual(decodeLinkRegister(0x30000000, x540), { up: false, speedMbps: null, source: 'VFLINKS' });
    assert.equal(decodeLinkRegister(0x60000000, x540).speedMbps, 1000);
    assert.equal(decodeLinkRegister(0x78000000, x550).speedMbps, 2500);
    assert.equal(decodeLinkRegister(0x58000000, x550).speedMbps, 5000);
    assert.equal(decodeLinkRegister(0x40000000, x550).speedMbps, 10);
    assert.equal(decodeLinkRegister(0x40000000, x540).speedMbps, null);
  });
  it('igb STATUS: LU, SPEED_1000 / SPEED_100 / 10', () => {
    assert.deepEqual(decodeLinkRegister(0x82, igb), { up: true, speedMbps: 1000, source: 'STATUS' });
    assert.equal(decodeLinkRegister(0x42, igb).speedMbps, 100);
    assert.equal(decodeLinkRegister(0x02, igb).speedMbps, 10);
    assert.equal(decodeLinkRegister(0x80, igb).up, false);
  });
  it('GET_PF_LINK_STATE words', () => {
    assert.deepEqual(decodePfLinkState(0x0080, 1), { up: true, speedMbps: 10000, source: 'GET_PF_LINK_STATE' });
    assert.deepEqual(decodePfLinkState(0x0800, 1).speedMbps, 5000);
    assert.deepEqual(decodePfLinkState(0x0080, 0), { up: false, speedMbps: null, source: 'GET_PF_LINK_STATE' });
  });
});

describe('vf requirements', () => {
  const ixgbe = familyByModel('82599');
  const igb = familyByModel('I350');
  it('names the version needed and the version agreed', () => {
    assert.throws(
      () => requireSupported(Requirements.GET_QUEUES, ixgbe, ApiVersion.V1_0),
      (e: unknown) => e instanceof NotSupportedError && e.message === 'GET_QUEUES needs mailbox API 1.1; the PF agreed to 1.0',
    );
    assert.throws(() => requireSupported(Requirements.XCAST_PROMISC, familyByModel('X540'), ApiVersion.V1_2), /needs mailbox API 1.3; the PF agreed to 1.2/);
    assert.throws(() => requireSupported(Requirements.GET_PF_LINK_STATE, ixgbe, ApiVersion.V1_4), /1.6/);
    assert.throws(() => requireSupported(Requirements.FEATURES_NEGOTIATE, ixgbe, ApiVersion.V1_6), /1.7/);
    requireSupported(Requirements.GET_QUEUES, ixgbe, ApiVersion.V1_1);
    requireSupported(Requirements.GET_LINK_STATE, ixgbe, ApiVersion.V1_7);
  });
  it('at API 1.0 (nothing negotiated), the negotiate fix names the API the message needs: 1.2 for UPDATE_XCAST_MODE, not 1.1, which fails again', () => {
    assert.throws(
      () => requireSupported(Requirements.UPDATE_XCAST_MODE, ixgbe, ApiVersion.V1_0),
      (e: unknown) =>
        e instanceof NotSupportedError &&
        /^negotiate the mailbox API after the VF reset \(API ≥ 1\.2\); or the PF's kernel \(ixgbe\) must be newer: mailbox API 1\.2$/.test(e.hint ?? '') &&
        JSON.stringify(e.details.remedies) === '[{"kind":"vf-step","step":"negotiate-api","atLeast":"1.2"},{"kind":"pf-kernel","needs":"mailbox API 1.2"}]',
    );
  });
  it('gates by family: igb has no SET_MACVLAN (0x06 is SET_PROMISC there), ixgbe no SET_PROMISC', () => {
    assert.throws(() => requireSupported(Requirements.SET_MACVLAN, igb, ApiVersion.V1_0), /does not exist in the igbvf mailbox/);
    assert.throws(() => requireSupported(Requirements.IGB_SET_PROMISC, ixgbe, ApiVersion.V1_0), NotSupportedError);
    requireSupported(Requirements.IGB_SET_PROMISC, igb, ApiVersion.V1_0);
  });
});

describe('message names are family-aware (issue 12 #9)', () => {
  it('0x06 is SET_PROMISC on igb and SET_MACVLAN on ixgbe; ixgbe-only IDs are unknown on igb', async () => {
    const { messageName } = await import('../../src/hw/messages.js');
    assert.equal(messageName(0x06, 'igbvf'), 'SET_PROMISC');
    assert.equal(messageName(0x06, 'ixgbevf'), 'SET_MACVLAN');
    assert.equal(messageName(0x40020006, 'igbvf'), 'SET_PROMISC', 'word 0 with flags and MSGINFO');
    assert.equal(messageName(0x08, 'igbvf'), 'MSG_0x0008');
    assert.equal(messageName(0x08, 'ixgbevf'), 'API_NEGOTIATE');
    assert.equal(messageName(0x100, 'igbvf'), 'PF_CONTROL_MSG');
  });

  it('a refused igb message is named in the igb namespace', async () => {
    const { nackError } = await import('../../src/vf/nack.js');
    const err = nackError({ op: 'SET_MULTICAST' }, 0x40000006, { target: { kind: 'sim' }, family: familyByModel('82576'), api: ApiVersion.V1_0, queues: null });
    assert.equal(err.message, 'the PF refused SET_PROMISC');
  });
});
