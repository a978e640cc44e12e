/**
 * The Linux ixgbe PF's VF message handlers (`ixgbe_rcv_msg_from_vf`'s dispatch in ixgbe_sriov.c, reference
 * §6.3, §5.4), as pure functions over the PF's state (`IxgbePfView`, implemented by LinuxIxgbePf): each
 * answers ACK or NACK and fills the reply words in place, as the kernel overwrites `msgbuf`. Which API
 * versions a handler serves comes from the PF's kernel generation (src/hw/pf-kernel.ts).
 */
import { ApiVersion, apiAtLeast, apiName } from '../hw/api.js';
import type { MailboxHardware } from './mailbox-hw.js';
import { MSGINFO_MASK, MSGINFO_SHIFT } from '../hw/mailbox.js';
import {
  ETH_FRAME_LEN,
  ETH_HEADER_BYTES,
  IXGBE_VLVF_ENTRIES,
  LINUX_PF_SUPPORTED_FEATURES,
  LPE_MAX_FRAME,
  LPE_MIN_FRAME,
  MAX_MULTICAST_PER_MESSAGE,
  MsgId,
  PfLinkSpeed,
  QueuesWord,
  RETA_ENTRIES,
  RETA_ENTRIES_PER_WORD,
  RSS_KEY_BYTES,
  STANDARD_VF_MAX_FRAME,
  VLAN_ID_MASK,
  XcastMode,
  type XcastModeValue,
} from '../hw/messages.js';
import type { PfKernelTable } from '../hw/pf-kernel.js';
import type { IxgbeVfState } from './ixgbe-state.js';
import { isValidUnicastMac, macFromWords } from './mac.js';
import { changeVlanFilter, multicastHashesOf } from './filters.js';
import { OK, unhandled, type HandlerResult, type MessageHandler } from './pf-policy.js';

/** The API lists of one kernel generation's handlers, as sets (src/hw/pf-kernel.ts). */
export interface ApiSets {
  readonly negotiable: ReadonlySet<number>;
  readonly queues: ReadonlySet<number>;
  readonly api12Plus: ReadonlySet<number>;
  readonly jumbo: ReadonlySet<number>;
  readonly pfLink: ReadonlySet<number>;
}

const apiSetsByTable = new WeakMap<PfKernelTable, ApiSets>();

/** The generation's API sets, built once per table and shared by every PF of that generation (read-only). */
export function apiSets(table: PfKernelTable): ApiSets {
  const known = apiSetsByTable.get(table);
  if (known !== undefined) return known;
  const sets: ApiSets = {
    negotiable: new Set(table.negotiableApis),
    queues: new Set(table.queuesApis),
    api12Plus: new Set(table.api12PlusApis),
    jumbo: new Set(table.jumboApis),
    pfLink: new Set(table.pfLinkStateApis),
  };
  apiSetsByTable.set(table, sets);
  return sets;
}

/** What the handlers read and change on the PF (LinuxIxgbePf). */
export interface IxgbePfView {
  readonly hw: MailboxHardware;
  readonly pfKernel: PfKernelTable;
  readonly apis: ApiSets;
  readonly allVfs: readonly IxgbeVfState[];
  /** RAR entries left for VF MACVLAN filters. */
  readonly macvlanSlots: number;
  readonly is82599: boolean;
  readonly newestApi: ApiVersion;
  readonly trafficClasses: number;
  readonly defaultTc: number;
  readonly pfMtu: number;
  readonly pfPromiscuous: boolean;
  readonly queuesPerPool: number;
  readonly vfIpsec: boolean;
  readonly rssKey: Uint8Array;
  /** MAXFRS.MFS: raised by SET_LPE, never lowered. */
  maxFrs: number;
  vf(index: number): IxgbeVfState;
}

function setMacAddr(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  const mac = macFromWords(words[1] ?? 0, words[2] ?? 0);
  if (!isValidUnicastMac(mac)) return { ok: false, reason: `VF ${vf} attempted to set invalid mac` };
  if (st.adminMac && !st.trusted && mac !== st.mac) {
    return { ok: false, reason: `VF ${vf} attempted to override administratively set MAC address` };
  }
  st.mac = mac;
  st.macFilterInstalled = true;
  return OK;
}

function setMulticast(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const entries = Math.min(((words[0] ?? 0) & MSGINFO_MASK) >>> MSGINFO_SHIFT, MAX_MULTICAST_PER_MESSAGE);
  pf.vf(vf).multicastHashes = multicastHashesOf(words, entries);
  return OK;
}

function setVlan(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  const add = ((words[0] ?? 0) & MSGINFO_MASK) !== 0;
  // ixgbe_set_vf_vlan_msg: refused with a port VLAN or when the PF runs DCB (hw_tcs ≠ 0).
  if (st.portVlan !== 0 || pf.trafficClasses !== 0) {
    return { ok: false, reason: `VF ${vf} attempted to override administratively set VLAN configuration` };
  }
  return changeVlanFilter(vf, st.vlans, pf.allVfs, add, (words[1] ?? 0) & VLAN_ID_MASK, IXGBE_VLVF_ENTRIES);
}

function setLpe(pf: IxgbePfView, vf: number, maxFrame: number): HandlerResult {
  const st = pf.vf(vf);
  if (maxFrame < LPE_MIN_FRAME || maxFrame > LPE_MAX_FRAME) {
    return { ok: false, reason: `VF max_frame ${maxFrame} out of range` };
  }
  if (pf.is82599) {
    const pfMaxFrame = pf.pfMtu + ETH_HEADER_BYTES;
    let err = false;
    if (pf.apis.jumbo.has(st.api) && pfMaxFrame > ETH_FRAME_LEN) {
      err = false;
    } else if (pfMaxFrame > ETH_FRAME_LEN || maxFrame > STANDARD_VF_MAX_FRAME) {
      err = true;
    }
    st.rxEnabled = !err;
    if (err) return { ok: false, reason: `VF max_frame ${maxFrame} out of range (82599: PF MTU ${pf.pfMtu}, VF API ${apiName(st.api)})` };
  }
  if (pf.maxFrs < maxFrame) pf.maxFrs = maxFrame;
  st.maxFrame = maxFrame;
  return OK;
}

function setMacvlan(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  const index = ((words[0] ?? 0) & MSGINFO_MASK) >>> MSGINFO_SHIFT;
  const mac = macFromWords(words[1] ?? 0, words[2] ?? 0);
  if (st.adminMac && !st.trusted && index > 0) {
    return { ok: false, reason: `VF ${vf} requested MACVLAN filter but is administratively denied` };
  }
  if (index > 0 && !isValidUnicastMac(mac)) return { ok: false, reason: `VF ${vf} attempted to set invalid mac` };
  if (index <= 1) st.macvlans = [];
  if (index === 0) return OK;
  const used = pf.allVfs.reduce((n, s) => n + s.macvlans.length, 0);
  if (used >= pf.macvlanSlots) {
    return { ok: false, reason: `VF ${vf} has requested a MACVLAN filter but there is no space for it` };
  }
  st.macvlans.push(mac);
  return OK;
}

function negotiateApi(pf: IxgbePfView, vf: number, api: number): HandlerResult {
  const st = pf.vf(vf);
  const known = pf.apis.negotiable.has(api);
  if (known && apiAtLeast(pf.newestApi, api as ApiVersion)) {
    st.api = api as ApiVersion;
    return OK;
  }
  return { ok: false, reason: `VF ${vf} requested unsupported api version ${api}` };
}

function getQueues(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  if (!pf.apis.queues.has(st.api)) return { ok: false, reason: `GET_QUEUES needs API >= 1.1 (VF at ${apiName(st.api)})` };
  // ixgbe_get_vf_queues: TRANS_VLAN = hw_tcs when DCB is on, else 1 with a port VLAN/QoS; DEF_QUEUE =
  // the TC of the default user priority when there is more than one TC.
  words[QueuesWord.TX_QUEUES] = pf.queuesPerPool;
  words[QueuesWord.RX_QUEUES] = pf.queuesPerPool;
  words[QueuesWord.TRANS_VLAN] = pf.trafficClasses !== 0 ? pf.trafficClasses : st.portVlan !== 0 || st.portQos !== 0 ? 1 : 0;
  words[QueuesWord.DEF_QUEUE] = pf.trafficClasses > 1 ? pf.defaultTc : 0;
  return OK;
}

function getReta(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  if (!st.rssQueryEnabled) return { ok: false, reason: `VF ${vf}: RSS query not enabled (query_rss off)` };
  if (!pf.apis.api12Plus.has(st.api)) return { ok: false, reason: `GET_RETA needs API >= 1.2 (VF at ${apiName(st.api)})` };
  for (let i = 0; i < RETA_ENTRIES / RETA_ENTRIES_PER_WORD; i++) {
    let w = 0;
    for (let j = 0; j < RETA_ENTRIES_PER_WORD; j++) {
      const entry = (RETA_ENTRIES_PER_WORD * i + j) % pf.queuesPerPool;
      w |= (entry & 0x3) << (2 * j);
    }
    words[1 + i] = w >>> 0;
  }
  return OK;
}

function getRssKey(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  if (!st.rssQueryEnabled) return { ok: false, reason: `VF ${vf}: RSS query not enabled (query_rss off)` };
  if (!pf.apis.api12Plus.has(st.api)) return { ok: false, reason: `GET_RSS_KEY needs API >= 1.2 (VF at ${apiName(st.api)})` };
  const k = pf.rssKey;
  for (let i = 0; i < RSS_KEY_BYTES / 4; i++) {
    words[1 + i] = ((k[4 * i] ?? 0) | ((k[4 * i + 1] ?? 0) << 8) | ((k[4 * i + 2] ?? 0) << 16) | ((k[4 * i + 3] ?? 0) << 24)) >>> 0;
  }
  return OK;
}

function updateXcast(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  let mode = words[1] ?? 0;
  if (st.api === ApiVersion.V1_2) {
    if (mode === XcastMode.PROMISC) return { ok: false, reason: 'XCAST PROMISC needs API >= 1.3' };
  } else if (!pf.apis.api12Plus.has(st.api)) {
    return { ok: false, reason: `UPDATE_XCAST_MODE needs API >= 1.2 (VF at ${apiName(st.api)})` };
  }
  let reason: string | undefined;
  if (mode > XcastMode.MULTI && !st.trusted) {
    reason = `VF ${vf} untrusted: xcast mode ${mode} downgraded to MULTI`;
    mode = XcastMode.MULTI;
  }
  if (st.xcastMode !== mode) {
    switch (mode) {
      case XcastMode.NONE:
      case XcastMode.MULTI:
      case XcastMode.ALLMULTI:
        break;
      case XcastMode.PROMISC:
        if (pf.is82599) return { ok: false, reason: 'XCAST PROMISC not supported on 82599' };
        if (!pf.pfPromiscuous) return { ok: false, reason: 'Enabling VF promisc requires PF in promisc' };
        break;
      default:
        return { ok: false, reason: `unknown xcast mode ${mode}` };
    }
    st.xcastMode = mode as XcastModeValue;
  }
  words[1] = mode;
  return reason === undefined ? OK : { ok: true, reason };
}

function getLinkState(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  if (!pf.apis.api12Plus.has(st.api)) return { ok: false, reason: `GET_LINK_STATE needs API >= 1.2 (VF at ${apiName(st.api)})` };
  words[1] = st.linkEnable ? 1 : 0;
  return OK;
}

function ipsec(pf: IxgbePfView, vf: number): HandlerResult {
  const st = pf.vf(vf);
  if (!st.trusted) return { ok: false, reason: `VF ${vf}: IPsec offload needs a trusted VF` };
  if (!pf.vfIpsec) return { ok: false, reason: `VF ${vf}: IPsec offload needs the PF vf-ipsec flag` };
  return { ok: false, reason: `VF ${vf}: IPsec SA offload is not modelled by the simulator` };
}

function getPfLinkState(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  if (pf.pfKernel.pfLinkStateApis.length === 0) return unhandled(words);
  if (!pf.apis.pfLink.has(st.api)) return { ok: false, reason: `GET_PF_LINK_STATE needs API 1.6/1.7 (VF at ${apiName(st.api)})` };
  if (pf.hw.family.model !== 'E610') return { ok: false, reason: 'GET_PF_LINK_STATE is E610 only' };
  const entry = Object.entries(PfLinkSpeed).find(([, mbps]) => mbps === pf.hw.linkSpeedMbps);
  words[1] = pf.hw.linkUp && entry !== undefined ? Number(entry[0]) : 0;
  words[2] = pf.hw.linkUp ? 1 : 0;
  return OK;
}

function negotiateFeatures(pf: IxgbePfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  if (!pf.pfKernel.featuresNegotiate) return unhandled(words);
  if (st.api !== ApiVersion.V1_7) return { ok: false, reason: `FEATURES_NEGOTIATE needs API 1.7 (VF at ${apiName(st.api)})` };
  words[1] = ((words[1] ?? 0) & LINUX_PF_SUPPORTED_FEATURES) >>> 0;
  return OK;
}

/**
 * ixgbe_rcv_msg_from_vf's dispatch: the handler of each message ID (a generation that lacks a message
 * answers it as unhandled inside its handler). IPSEC_ADD/IPSEC_DEL share one.
 */
export const IXGBE_HANDLERS: Readonly<Partial<Record<number, MessageHandler<IxgbePfView>>>> = {
  [MsgId.SET_MAC_ADDR]: setMacAddr,
  [MsgId.SET_MULTICAST]: setMulticast,
  [MsgId.SET_VLAN]: setVlan,
  [MsgId.SET_LPE]: (pf, vf, words) => setLpe(pf, vf, words[1] ?? 0),
  [MsgId.SET_MACVLAN]: setMacvlan,
  [MsgId.API_NEGOTIATE]: (pf, vf, words) => negotiateApi(pf, vf, words[1] ?? 0),
  [MsgId.GET_QUEUES]: getQueues,
  [MsgId.GET_RETA]: getReta,
  [MsgId.GET_RSS_KEY]: getRssKey,
  [MsgId.UPDATE_XCAST_MODE]: updateXcast,
  [MsgId.GET_LINK_STATE]: getLinkState,
  [MsgId.IPSEC_ADD]: (pf, vf) => ipsec(pf, vf),
  [MsgId.IPSEC_DEL]: (pf, vf) => ipsec(pf, vf),
  [MsgId.GET_PF_LINK_STATE]: getPfLinkState,
  [MsgId.FEATURES_NEGOTIATE]: negotiateFeatures,
};
