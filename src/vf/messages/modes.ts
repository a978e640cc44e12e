/**
 * The receive-mode messages (reference §5.4, §6.3): SET_LPE (`ixgbevf_set_rlpml_vf`, the max frame),
 * UPDATE_XCAST_MODE (`ixgbevf_update_xcast_mode`, ixgbe) and igb's SET_PROMISC (`e1000_promisc_set_vf`):
 * each one's words, reply length, gates (xcast PROMISC's own, per VF model) and NACK explanation.
 */
import { ApiVersion, apiName } from '../../hw/api.js';
import type { FamilyDescriptor } from '../../hw/family.js';
import { ETH_FCS_BYTES, ETH_HEADER_BYTES, IgbPromisc, MTU_MAX, MTU_MIN, MsgId } from '../../hw/messages.js';
import { requestWord } from '../../mbx/codec.js';
import { XCAST_MODE_VALUES, type XcastModeName } from '../types.js';
import { IGB, IXGBE, BOTH, defineMessage, req, word } from './message.js';

const ETH_OVERHEAD = ETH_HEADER_BYTES + ETH_FCS_BYTES;
export const MTU_RANGE_TEXT = `${MTU_MIN}..${MTU_MAX}`;
const XCAST_NAMES = Object.fromEntries(Object.entries(XCAST_MODE_VALUES).map(([name, value]) => [value, name])) as Record<number, XcastModeName>;

/** SET_LPE: word 1 the max frame (MTU + 18, ixgbevf_change_mtu). */
export const setLpe = defineMessage({
  op: 'SET_LPE',
  requirement: req(MsgId.SET_LPE, 'SET_LPE', ApiVersion.V1_0, BOTH),
  encode: ({ maxFrame }: { readonly maxFrame: number }) => [requestWord(MsgId.SET_LPE), maxFrame],
  replyWords: 2,
  decode: () => undefined,
  explain: ({ maxFrame }, ctx) => {
    const is82599 = ctx.family.model === '82599';
    return {
      message:
        `the PF refused a max frame of ${maxFrame} bytes (MTU ${maxFrame - ETH_OVERHEAD})` +
        (is82599
          ? `: on 82599 the PF and all VFs must agree on jumbo frames (the PF agreed to API ${apiName(ctx.api)}; until SET_LPE succeeds the VF receives nothing when the PF MTU is above 1500)`
          : `: the PF accepts MTU ${MTU_RANGE_TEXT}`),
      remedies: is82599
        ? [{ kind: 'vf-step', step: 'negotiate-api' }, { kind: 'pf', setting: 'mtu', value: '9000' }]
        : [{ kind: 'vf-value', what: 'mtu', value: MTU_RANGE_TEXT }],
    };
  },
});

/**
 * ixgbe_update_vf_xcast_mode refuses PROMISC when the PF's MAC is an 82599 or older (-EOPNOTSUPP), and
 * only trust decides the other modes; X540 and later grant it to a trusted VF when the PF is promiscuous.
 * An untrusted 82599 VF asking for it would be downgraded to MULTI instead of refused: we refuse
 * locally in both cases (docs/protocol.md, deliberate differences).
 */
const promiscOn82599 = (family: FamilyDescriptor): string | null =>
  family.model === '82599' ? 'an 82599 PF never grants a VF unicast promiscuous mode, whatever its trust (ixgbe refuses PROMISC below X540)' : null;

/** xcast PROMISC: the same message, at API ≥ 1.3, never on 82599. */
export const XCAST_PROMISC = req(MsgId.UPDATE_XCAST_MODE, 'UPDATE_XCAST_MODE promisc', ApiVersion.V1_3, IXGBE, promiscOn82599);

/** UPDATE_XCAST_MODE (ixgbe, API ≥ 1.2): word 1 the mode; the reply's word 1 is the mode granted. */
export const updateXcastMode = defineMessage({
  op: 'UPDATE_XCAST_MODE',
  requirement: req(MsgId.UPDATE_XCAST_MODE, 'UPDATE_XCAST_MODE', ApiVersion.V1_2, IXGBE),
  requirementFor: ({ mode }: { readonly mode: XcastModeName }) => (mode === 'promisc' ? XCAST_PROMISC : null),
  encode: ({ mode }) => [requestWord(MsgId.UPDATE_XCAST_MODE), XCAST_MODE_VALUES[mode]],
  replyWords: 2,
  // An untrusted VF asking for more is silently given MULTI (ixgbe_update_vf_xcast_mode).
  decode: (reply, { mode }): XcastModeName => XCAST_NAMES[reply.length > 1 ? word(reply, 1) : -1] ?? mode,
  explain: ({ mode }) => ({
    message: `the PF refused multicast/promiscuous mode ${mode}` + (mode === 'promisc' ? ': promiscuous needs a trusted VF and a PF in promiscuous mode' : ''),
    remedies:
      mode === 'promisc'
        ? [{ kind: 'pf-vf', setting: 'trust', value: 'on' }, { kind: 'pf', setting: 'promisc', value: 'on' }]
        : [{ kind: 'pf-vf', setting: 'trust', value: 'on' }],
  }),
});

/** igb SET_PROMISC: MSGINFO MULTICAST for allmulti, nothing for none/multi; one-word reply. */
export const igbSetPromisc = defineMessage({
  op: 'SET_PROMISC',
  requirement: req(MsgId.IGB_SET_PROMISC, 'SET_PROMISC', ApiVersion.V1_0, IGB),
  encode: ({ mode }: { readonly mode: XcastModeName }) => [(requestWord(MsgId.IGB_SET_PROMISC) | (mode === 'allmulti' ? IgbPromisc.MULTICAST : 0)) >>> 0],
  replyWords: 1,
  decode: (_reply, { mode }): XcastModeName => mode,
  explain: ({ mode }) => ({
    message: `the igb PF refused promiscuous mode ${mode}: it supports multicast promiscuous only`,
    remedies: [{ kind: 'vf-value', what: 'xcast', value: 'allmulti' }],
  }),
});
