/**
 * The Linux igb PF's VF message handlers (`igb_rcv_msg_from_vf`'s dispatch in igb_main.c, reference §10.3),
 * as pure functions over the PF's state (`IgbPfView`, implemented by LinuxIgbPf): SET_MAC_ADDR with its
 * MAC-filter sub-commands, SET_PROMISC (multicast only), SET_MULTICAST (the real count kept, multicast
 * promiscuous above 30), SET_LPE, SET_VLAN. Everything else (API_NEGOTIATE included) is unhandled: NACK.
 */
import { MSGINFO_MASK, MSGINFO_SHIFT } from '../hw/mailbox.js';
import { IGB_MAX_JUMBO_FRAME, IGB_MAX_MULTICAST, IGB_VLVF_ENTRIES, IgbMacFilter, IgbPromisc, MsgId, VLAN_ID_MASK } from '../hw/messages.js';
import { changeVlanFilter, multicastHashesOf } from './filters.js';
import type { IgbVfState } from './igb-state.js';
import { isValidUnicastMac, macFromWords } from './mac.js';
import { OK, type HandlerResult, type MessageHandler } from './pf-policy.js';

/** What the handlers read and change on the PF (LinuxIgbPf). */
export interface IgbPfView {
  readonly allVfs: readonly IgbVfState[];
  /** RAR entries left for VF MAC filters. */
  readonly macFilterSlots: number;
  vf(index: number): IgbVfState;
}

/** igb_set_vf_mac_addr: PRIMARY sets the VF's MAC; CLEAR/ADD manage its extra MAC filters (igb_set_vf_mac_filter). */
function setMacAddr(pf: IgbPfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  const info = ((words[0] ?? 0) & MSGINFO_MASK) >>> MSGINFO_SHIFT;
  const mac = macFromWords(words[1] ?? 0, words[2] ?? 0);
  if (info === IgbMacFilter.PRIMARY) {
    if (st.adminMac && !st.trusted) {
      return { ok: false, reason: `VF ${vf} attempted to override administratively set MAC address` };
    }
    if (!isValidUnicastMac(mac)) return { ok: false, reason: `VF ${vf} attempted to set invalid MAC` };
    st.mac = mac;
    return OK;
  }
  if (st.adminMac && !st.trusted) return { ok: false, reason: `VF ${vf} requested MAC filter but is administratively denied` };
  if (!isValidUnicastMac(mac)) return { ok: false, reason: `VF ${vf} attempted to set invalid MAC filter` };
  if (info === IgbMacFilter.CLEAR) {
    st.macFilters = [];
    return OK;
  }
  if (info === IgbMacFilter.ADD) {
    const used = pf.allVfs.reduce((n, s) => n + s.macFilters.length, 0);
    if (used >= pf.macFilterSlots) return { ok: false, reason: `VF ${vf} has requested MAC filter but there is no space for it` };
    st.macFilters.push(mac);
    return OK;
  }
  return { ok: false, reason: `VF ${vf}: unknown MAC filter request ${info}` };
}

/** igb_set_vf_promisc: only the MULTICAST flag is supported; it is taken out of word 0 before the reply. */
function setPromisc(pf: IgbPfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  let w0 = words[0] ?? 0;
  st.multicastPromiscFlag = false;
  if (w0 & IgbPromisc.MULTICAST) {
    st.multicastPromiscFlag = true;
    st.multicastPromisc = true;
    w0 = (w0 & ~IgbPromisc.MULTICAST) >>> 0;
    words[0] = w0;
  } else {
    st.multicastPromisc = st.multicastCount > IGB_MAX_MULTICAST;
  }
  if (w0 & MSGINFO_MASK) return { ok: false, reason: `VF ${vf}: unsupported promiscuous flags (only MULTICAST)` };
  return OK;
}

/** igb_set_vf_multicasts: the count as sent (may exceed 30), at most 30 hashes stored; above 30, VMOLR.MPME. */
function setMulticast(pf: IgbPfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  const n = ((words[0] ?? 0) & MSGINFO_MASK) >>> MSGINFO_SHIFT;
  st.multicastCount = n;
  st.multicastHashes = multicastHashesOf(words, Math.min(n, IGB_MAX_MULTICAST));
  st.multicastPromisc = n > IGB_MAX_MULTICAST || st.multicastPromiscFlag;
  return OK;
}

/** igb_set_vf_vlan_msg: refused with a port VLAN; otherwise the shared VLVF table (igb_vlvf_set). */
function setVlan(pf: IgbPfView, vf: number, words: Uint32Array): HandlerResult {
  const st = pf.vf(vf);
  if (st.portVlan !== 0) return { ok: false, reason: `VF ${vf} attempted to override administratively set VLAN tag` };
  const add = ((words[0] ?? 0) & MSGINFO_MASK) !== 0;
  return changeVlanFilter(vf, st.vlans, pf.allVfs, add, (words[1] ?? 0) & VLAN_ID_MASK, IGB_VLVF_ENTRIES);
}

/** igb_set_vf_rlpml: the max frame, capped at the jumbo limit, never refused. */
function setLpe(pf: IgbPfView, vf: number, words: Uint32Array): HandlerResult {
  pf.vf(vf).maxFrame = Math.min(words[1] ?? 0, IGB_MAX_JUMBO_FRAME);
  return OK;
}

/** igb_rcv_msg_from_vf's dispatch. */
export const IGB_HANDLERS: Readonly<Partial<Record<number, MessageHandler<IgbPfView>>>> = {
  [MsgId.SET_MAC_ADDR]: setMacAddr,
  [MsgId.IGB_SET_PROMISC]: setPromisc,
  [MsgId.SET_MULTICAST]: setMulticast,
  [MsgId.SET_LPE]: setLpe,
  [MsgId.SET_VLAN]: setVlan,
};
