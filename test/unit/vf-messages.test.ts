/**
 * The message table (src/vf/messages/): every described message is well formed on its own (word 0 carries
 * its ID and no reply flag, request and reply fit the mailbox, the gate names the same ID), the named
 * requirements are the table's, and the NACK explanations reach PfNackError through both paths.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PfNackError } from '../../src/errors.js';
import { ApiVersion } from '../../src/hw/api.js';
import { familyByModel } from '../../src/hw/index.js';
import { MAILBOX_WORDS, MSG_ID_MASK, MsgFlag } from '../../src/hw/mailbox.js';
import { MESSAGES, type MessageContext, type MessageSpec } from '../../src/vf/messages/index.js';
import { nackError, refusal } from '../../src/vf/nack.js';
import { Requirements } from '../../src/vf/requirements.js';

/** One valid argument record per message (what the Vf facade would pass after its local checks). */
const SAMPLE_ARGS: Record<keyof typeof MESSAGES, unknown> = {
  SET_MAC_ADDR: { mac: '02:11:22:33:44:55' },
  SET_MULTICAST: { count: 2, hashes: [0x123, 0x456] },
  SET_VLAN: { id: 100, on: true },
  SET_LPE: { maxFrame: 1518 },
  SET_MACVLAN: { index: 1, mac: '02:11:22:33:44:66' },
  SET_PROMISC: { mode: 'allmulti' },
  API_NEGOTIATE: { api: ApiVersion.V1_4 },
  GET_QUEUES: {},
  GET_RETA: {},
  GET_RSS_KEY: {},
  UPDATE_XCAST_MODE: { mode: 'allmulti' },
  GET_LINK_STATE: {},
  GET_PF_LINK_STATE: {},
  FEATURES_NEGOTIATE: { features: 3 },
};

const ixgbe = familyByModel('X550');
const igb = familyByModel('I350');
const ctx = (family = ixgbe): MessageContext => ({ family, api: ApiVersion.V1_4, mcFilterType: 0 });
const entries = Object.entries(MESSAGES) as [keyof typeof MESSAGES, MessageSpec<string, unknown, unknown>][];

describe('the message table', () => {
  it('keys each spec by its op', () => {
    for (const [key, spec] of entries) assert.equal(spec.op, key);
  });

  it('encodes word 0 with the message ID of its gate and no ACK/NACK/CTS; request and reply fit the 16-word mailbox', () => {
    for (const [key, spec] of entries) {
      const family = spec.requirement.kinds.includes('ixgbevf') ? ixgbe : igb;
      const words = spec.encode(SAMPLE_ARGS[key], ctx(family));
      assert.ok(words.length >= 1 && words.length <= MAILBOX_WORDS, `${key}: ${words.length} words`);
      assert.equal((words[0]! & MSG_ID_MASK) >>> 0, spec.requirement.id, key);
      assert.equal(words[0]! & (MsgFlag.ACK | MsgFlag.NACK | MsgFlag.CTS), 0, key);
      assert.ok(spec.replyWords >= 1 && spec.replyWords <= MAILBOX_WORDS, key);
    }
  });

  it('SET_MULTICAST carries the count in MSGINFO and two hashes per word', () => {
    const words = MESSAGES.SET_MULTICAST.encode({ count: 3, hashes: [0x111, 0x222, 0x333] }, ctx());
    assert.deepEqual(words.slice(0, 3), [0x00030003, 0x02220111, 0x00000333]);
    assert.ok(words.slice(3).every((w) => w === 0), 'the rest of the hash words are zero');
  });

  it('SET_MACVLAN index 0 sends no MAC', () => {
    assert.deepEqual(MESSAGES.SET_MACVLAN.encode({ index: 0, mac: null }, ctx()), [0x00000006, 0, 0]);
  });

  it('decodes GET_QUEUES as ixgbevf sanitises it', () => {
    assert.deepEqual(MESSAGES.GET_QUEUES.decode([0x80000009, 0, 9, 5, 8], {}, ctx()), { txQueues: 8, rxQueues: 8, transparentVlan: 5, defaultQueue: 0 });
    assert.deepEqual(MESSAGES.GET_QUEUES.decode([0x80000009, 2, 2, 4, 1], {}, ctx()), { txQueues: 2, rxQueues: 2, transparentVlan: 1, defaultQueue: 1 });
  });

  it('API_NEGOTIATE takes a NACK as an answer ("not this version"), not a refusal', () => {
    assert.equal(MESSAGES.API_NEGOTIATE.nackIsAnswer, true);
    assert.equal(MESSAGES.API_NEGOTIATE.decode([0x40000008], { api: ApiVersion.V1_7 }, ctx()), false);
    assert.equal(MESSAGES.API_NEGOTIATE.decode([0xa0000008], { api: ApiVersion.V1_4 }, ctx()), true);
  });

  it('Requirements are the table’s gates (one description per message)', () => {
    for (const [key, spec] of entries) {
      const named = key === 'SET_PROMISC' ? Requirements.IGB_SET_PROMISC : Requirements[key];
      assert.equal(named, spec.requirement, key);
    }
  });

  it('a NACK explanation reaches PfNackError the same way from the table and from nackError()', () => {
    const nack = { target: { kind: 'host', pf: 'eth0', vf: '3' } as const, family: ixgbe, api: ApiVersion.V1_4, queues: null };
    const direct = refusal('SET_MAC_ADDR', 0x40000002, MESSAGES.SET_MAC_ADDR.explain({ mac: '02:11:22:33:44:55' }, nack), nack);
    const named = nackError({ op: 'SET_MAC_ADDR', mac: '02:11:22:33:44:55' }, 0x40000002, nack);
    assert.ok(direct instanceof PfNackError && named instanceof PfNackError);
    assert.equal(direct.message, named.message);
    assert.equal(direct.hint, named.hint);
    assert.match(named.hint ?? '', /ip link set eth0 vf 3 trust on/);
  });

  it('a message without its own explanation is "the PF refused <name>", no hint', () => {
    const nack = { target: { kind: 'sim' } as const, family: ixgbe, api: ApiVersion.V1_4, queues: null };
    const err = nackError({ op: 'GET_LINK_STATE' }, 0x40000010, nack);
    assert.equal(err.message, 'the PF refused GET_LINK_STATE');
    assert.equal(err.hint, undefined);
    assert.equal(err.details.message, 'GET_LINK_STATE');
  });
});
