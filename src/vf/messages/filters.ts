/**
 * The address and VLAN filter messages (reference §5.4, §6.3): SET_MAC_ADDR (`ixgbevf_set_rar_vf`),
 * SET_MULTICAST (`ixgbevf_update_mc_addr_list_vf`), SET_VLAN (`ixgbevf_set_vfta_vf`) and SET_MACVLAN
 * (`ixgbevf_set_uc_addr_vf`): each one's words, reply length, gate and NACK explanation.
 */
import { ApiVersion } from '../../hw/api.js';
import { MsgId, VLAN_ADD_MSGINFO } from '../../hw/messages.js';
import { requestWord } from '../../mbx/codec.js';
import { macToWords, parseMac } from '../mac.js';
import { packHashes } from '../multicast.js';
import { BOTH, IXGBE, defineMessage, req } from './message.js';

/** SET_MAC_ADDR (igb: MSGINFO 0, the primary address): the MAC in words 1–2. */
export const setMacAddr = defineMessage({
  op: 'SET_MAC_ADDR',
  requirement: req(MsgId.SET_MAC_ADDR, 'SET_MAC_ADDR', ApiVersion.V1_0, BOTH),
  encode: ({ mac }: { readonly mac: string }) => [requestWord(MsgId.SET_MAC_ADDR), ...macToWords(parseMac(mac))],
  replyWords: 3,
  decode: () => undefined,
  explain: ({ mac }) => ({
    message: `the PF refused MAC ${mac}: an administrator MAC is set for this VF and the VF is not trusted (or the PF's MAC table is full)`,
    remedies: [
      { kind: 'pf-vf', setting: 'trust', value: 'on' },
      { kind: 'pf-vf', setting: 'mac', value: mac },
    ],
  }),
});

/**
 * SET_MULTICAST: the count in MSGINFO, the 12-bit hashes packed two per word in words 1–15. The count may
 * exceed the hashes sent (igb: the real count makes the PF turn on multicast promiscuous).
 */
export const setMulticast = defineMessage({
  op: 'SET_MULTICAST',
  requirement: req(MsgId.SET_MULTICAST, 'SET_MULTICAST', ApiVersion.V1_0, BOTH),
  encode: ({ count, hashes }: { readonly count: number; readonly hashes: readonly number[] }) => [requestWord(MsgId.SET_MULTICAST, count), ...packHashes(hashes)],
  replyWords: 1,
  decode: () => undefined,
});

/** SET_VLAN: MSGINFO 1 adds, 0 removes; word 1 the VLAN id. */
export const setVlan = defineMessage({
  op: 'SET_VLAN',
  requirement: req(MsgId.SET_VLAN, 'SET_VLAN', ApiVersion.V1_0, BOTH),
  encode: ({ id, on }: { readonly id: number; readonly on: boolean }) => [requestWord(MsgId.SET_VLAN, on ? VLAN_ADD_MSGINFO : 0), id],
  replyWords: 2,
  decode: () => undefined,
  explain: ({ id, on }, ctx) => {
    // ixgbe_set_vf_vlan_msg: refused when a port VLAN is set or the PF runs DCB (hw_tcs ≠ 0); GET_QUEUES
    // tells the VF the number of traffic classes (ixgbe_get_vf_queues).
    const tcs = ctx.queues?.transparentVlan ?? 0;
    if (tcs > 1) {
      return {
        message: `the PF refused to ${on ? 'add' : 'remove'} VLAN ${id}: the PF runs DCB with ${tcs} traffic classes, and an ixgbe PF with DCB takes no VLAN filters from its VFs`,
        remedies: [],
      };
    }
    return {
      message: `the PF refused to ${on ? 'add' : 'remove'} VLAN ${id}: a port VLAN is set for this VF, the PF runs DCB, or its VLAN table is full`,
      remedies: [{ kind: 'pf-vf', setting: 'vlan', value: '0' }],
    };
  },
});

/**
 * SET_MACVLAN (ixgbe): index in MSGINFO (0 clears every extra unicast filter, 1 starts a new list, > 1
 * adds), the MAC in words 1–2 (zero for index 0).
 */
export const setMacvlan = defineMessage({
  op: 'SET_MACVLAN',
  requirement: req(MsgId.SET_MACVLAN, 'SET_MACVLAN', ApiVersion.V1_0, IXGBE),
  encode: ({ index, mac }: { readonly index: number; readonly mac: string | null }) => [
    requestWord(MsgId.SET_MACVLAN, index),
    ...(index > 0 && mac !== null ? macToWords(parseMac(mac)) : [0, 0]),
  ],
  replyWords: 3,
  decode: () => undefined,
  explain: ({ index, mac }) => ({
    message:
      index > 0
        ? `the PF refused extra unicast filter ${mac ?? ''} (index ${index}): administrator MAC set and VF not trusted, or no free MAC filter left (the RAR table is shared by the PF and all VFs)`
        : 'the PF refused to clear the extra unicast filters',
    remedies: [{ kind: 'pf-vf', setting: 'trust', value: 'on' }],
  }),
});
