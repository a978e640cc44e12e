/**
 * The query messages (reference §5.4, §6.3): GET_QUEUES (`ixgbevf_get_queues`), GET_RETA / GET_RSS_KEY
 * (`ixgbevf_get_reta_locked`, `ixgbevf_get_rss_key_locked`), GET_LINK_STATE (`ixgbevf_get_link_state`) and
 * GET_PF_LINK_STATE (`ixgbevf_get_pf_link_state`): each one's words, reply length and decoder (sanitised
 * as the kernel does), gate and NACK explanation.
 */
import { ApiVersion } from '../../hw/api.js';
import type { FamilyDescriptor } from '../../hw/family.js';
import {
  GET_QUEUES_WORDS,
  MsgId,
  QueuesWord,
  RETA_ENTRIES_PER_WORD,
  RETA_REPLY_WORDS,
  RSS_KEY_BYTES,
  RSS_KEY_REPLY_WORDS,
  VF_MAX_QUEUES,
} from '../../hw/messages.js';
import { requestWord } from '../../mbx/codec.js';
import { decodePfLinkState } from '../link.js';
import type { LinkInfo, QueueInfo } from '../types.js';
import { IXGBE, defineMessage, req, word, type Explanation } from './message.js';

type NoArgs = Readonly<Record<never, never>>;

/**
 * ixgbevf_get_reta_locked / ixgbevf_get_rss_key_locked return -EOPNOTSUPP on X550 and later VFs without
 * asking: their RSS lives in the VF's own VFRETA/VFRSSRK registers, and ixgbe_ndo_set_vf_rss_query_en
 * accepts query_rss only on 82599/X540 PFs, so the PF could never answer.
 */
const rssOnX550 = (family: FamilyDescriptor): string | null =>
  family.isX550Class
    ? `an ${family.model} VF keeps its RSS table and key in its own registers (VFRETA/VFRSSRK): the PF answers RSS queries only for 82599/X540 VFs, so Linux ixgbevf does not ask either`
    : null;

const rssQueryOff = (op: string): Explanation => ({
  message: `the PF refused ${op}: RSS queries are off for this VF (query_rss)`,
  remedies: [{ kind: 'pf-vf', setting: 'query_rss', value: 'on' }],
});

/** GET_QUEUES (API ≥ 1.1), sanitised as ixgbevf_get_queues: 0 or > 8 queues → 8; TCs > rx → 1; def_q ≥ tx → 0. */
export const getQueues = defineMessage({
  op: 'GET_QUEUES',
  requirement: req(MsgId.GET_QUEUES, 'GET_QUEUES', ApiVersion.V1_1, IXGBE),
  encode: (_: NoArgs) => [requestWord(MsgId.GET_QUEUES), 0, 0, 0, 0],
  replyWords: GET_QUEUES_WORDS,
  decode: (reply): QueueInfo => {
    const clampQueues = (n: number): number => (n === 0 || n > VF_MAX_QUEUES ? VF_MAX_QUEUES : n);
    const txQueues = clampQueues(word(reply, QueuesWord.TX_QUEUES));
    const rxQueues = clampQueues(word(reply, QueuesWord.RX_QUEUES));
    let transparentVlan = word(reply, QueuesWord.TRANS_VLAN);
    if (transparentVlan > rxQueues) transparentVlan = 1;
    let defaultQueue = word(reply, QueuesWord.DEF_QUEUE);
    if (defaultQueue >= txQueues) defaultQueue = 0;
    return { txQueues, rxQueues, transparentVlan, defaultQueue };
  },
});

/** GET_RETA (API ≥ 1.2, 82599/X540 PF with query_rss on): 128 two-bit entries, 16 per word. */
export const getReta = defineMessage({
  op: 'GET_RETA',
  requirement: req(MsgId.GET_RETA, 'GET_RETA', ApiVersion.V1_2, IXGBE, rssOnX550),
  encode: (_: NoArgs) => [requestWord(MsgId.GET_RETA)],
  replyWords: RETA_REPLY_WORDS,
  decode: (reply): number[] => {
    const entries: number[] = [];
    for (let w = 1; w < RETA_REPLY_WORDS; w += 1) {
      for (let j = 0; j < RETA_ENTRIES_PER_WORD; j += 1) entries.push((word(reply, w) >>> (2 * j)) & 0x3);
    }
    return entries;
  },
  explain: () => rssQueryOff('GET_RETA'),
});

/** GET_RSS_KEY (API ≥ 1.2, 82599/X540 PF with query_rss on): the 40-byte key, little-endian words. */
export const getRssKey = defineMessage({
  op: 'GET_RSS_KEY',
  requirement: req(MsgId.GET_RSS_KEY, 'GET_RSS_KEY', ApiVersion.V1_2, IXGBE, rssOnX550),
  encode: (_: NoArgs) => [requestWord(MsgId.GET_RSS_KEY)],
  replyWords: RSS_KEY_REPLY_WORDS,
  decode: (reply): Uint8Array => {
    const key = new Uint8Array(RSS_KEY_BYTES);
    for (let i = 0; i < RSS_KEY_BYTES; i += 1) key[i] = (word(reply, 1 + (i >> 2)) >>> (8 * (i & 3))) & 0xff;
    return key;
  },
  explain: () => rssQueryOff('GET_RSS_KEY'),
});

/** GET_LINK_STATE (API ≥ 1.2): word 1 non-zero when the administrator lets the VF have link. */
export const getLinkState = defineMessage({
  op: 'GET_LINK_STATE',
  requirement: req(MsgId.GET_LINK_STATE, 'GET_LINK_STATE', ApiVersion.V1_2, IXGBE),
  encode: (_: NoArgs) => [requestWord(MsgId.GET_LINK_STATE), 0],
  replyWords: 2,
  decode: (reply): boolean => word(reply, 1) !== 0,
});

/** GET_PF_LINK_STATE (API ≥ 1.6, E610 PF only): word 1 the speed code, word 2 link up. */
export const getPfLinkState = defineMessage({
  op: 'GET_PF_LINK_STATE',
  requirement: req(MsgId.GET_PF_LINK_STATE, 'GET_PF_LINK_STATE', ApiVersion.V1_6, IXGBE),
  encode: (_: NoArgs) => [requestWord(MsgId.GET_PF_LINK_STATE), 0, 0],
  replyWords: 3,
  decode: (reply): LinkInfo => decodePfLinkState(word(reply, 1), word(reply, 2)),
  explain: () => ({ message: 'the PF refused GET_PF_LINK_STATE: only an E610 PF at API 1.6 or later answers it', remedies: [] }),
});
