/** Mailbox message IDs and payload constants (reference §5.2–§5.4). */

/** ixgbe VF→PF message IDs (word 0 bits 15:0, reference §5.2). */
export const MsgId = {
  RESET: 0x01,
  SET_MAC_ADDR: 0x02,
  SET_MULTICAST: 0x03,
  SET_VLAN: 0x04,
  SET_LPE: 0x05,
  SET_MACVLAN: 0x06,
  API_NEGOTIATE: 0x08,
  GET_QUEUES: 0x09,
  GET_RETA: 0x0a,
  GET_RSS_KEY: 0x0b,
  UPDATE_XCAST_MODE: 0x0c,
  IPSEC_ADD: 0x0d,
  IPSEC_DEL: 0x0e,
  GET_LINK_STATE: 0x10,
  GET_PF_LINK_STATE: 0x11,
  FEATURES_NEGOTIATE: 0x12,
  /** igb only: 0x06 means SET_PROMISC in the igb namespace (reference §10.3). */
  IGB_SET_PROMISC: 0x06,
  /** PF→VF notification ("ping"), one word, CTS set when the VF is still clear-to-send (§5.1, §6.6). */
  PF_CONTROL_MSG: 0x0100,
} as const;
export type MsgIdValue = (typeof MsgId)[keyof typeof MsgId];

/** Names of the ixgbe message IDs (reference §5.2; `IXGBE_VF_*` without the prefix, VF_RESET kept). */
const IXGBE_MESSAGE_NAMES: Readonly<Record<number, string>> = {
  [MsgId.RESET]: 'VF_RESET',
  [MsgId.SET_MAC_ADDR]: 'SET_MAC_ADDR',
  [MsgId.SET_MULTICAST]: 'SET_MULTICAST',
  [MsgId.SET_VLAN]: 'SET_VLAN',
  [MsgId.SET_LPE]: 'SET_LPE',
  [MsgId.SET_MACVLAN]: 'SET_MACVLAN',
  [MsgId.API_NEGOTIATE]: 'API_NEGOTIATE',
  [MsgId.GET_QUEUES]: 'GET_QUEUES',
  [MsgId.GET_RETA]: 'GET_RETA',
  [MsgId.GET_RSS_KEY]: 'GET_RSS_KEY',
  [MsgId.UPDATE_XCAST_MODE]: 'UPDATE_XCAST_MODE',
  [MsgId.IPSEC_ADD]: 'IPSEC_ADD',
  [MsgId.IPSEC_DEL]: 'IPSEC_DEL',
  [MsgId.GET_LINK_STATE]: 'GET_LINK_STATE',
  [MsgId.GET_PF_LINK_STATE]: 'GET_PF_LINK_STATE',
  [MsgId.FEATURES_NEGOTIATE]: 'FEATURES_NEGOTIATE',
  [MsgId.PF_CONTROL_MSG]: 'PF_CONTROL_MSG',
};

/**
 * Names of the igb message IDs (igb's e1000_mbx.h `E1000_VF_*`, reference §10.3): the same numbers up to
 * 0x05, but 0x06 is SET_PROMISC, and nothing above it exists (the igb PF answers them "Unhandled").
 */
const IGB_MESSAGE_NAMES: Readonly<Record<number, string>> = {
  [MsgId.RESET]: 'VF_RESET',
  [MsgId.SET_MAC_ADDR]: 'SET_MAC_ADDR',
  [MsgId.SET_MULTICAST]: 'SET_MULTICAST',
  [MsgId.SET_VLAN]: 'SET_VLAN',
  [MsgId.SET_LPE]: 'SET_LPE',
  [MsgId.IGB_SET_PROMISC]: 'SET_PROMISC',
  [MsgId.PF_CONTROL_MSG]: 'PF_CONTROL_MSG',
};

/**
 * The name of a message ID (or of word 0: the ID bits are taken) in the namespace of the VF family:
 * `messageName(0x06, 'igbvf')` is SET_PROMISC, `messageName(0x06, 'ixgbevf')` SET_MACVLAN. Unknown IDs
 * read `MSG_0x…`.
 */
export function messageName(idOrWord: number, kind: 'ixgbevf' | 'igbvf'): string {
  const id = idOrWord & 0xffff;
  const names = kind === 'igbvf' ? IGB_MESSAGE_NAMES : IXGBE_MESSAGE_NAMES;
  return names[id] ?? `MSG_0x${id.toString(16).padStart(4, '0')}`;
}

/** The VF_RESET request is exactly this word; the PF compares with `==` (reference §5.4). */
export const VF_RESET_REQUEST_WORD = 0x00000001;

/** VF_RESET reply words (ixgbe: 4 words; igb: 3, no mc_filter_type; reference §5.4, §10.3). */
export const ResetReplyWord = { STATUS: 0, MAC_LO: 1, MAC_HI: 2, MC_FILTER_TYPE: 3 } as const;
export const IXGBE_RESET_REPLY_WORDS = 4;
export const IGB_RESET_REPLY_WORDS = 3;

/** SET_MULTICAST: at most 30 hashes per message (IXGBE_MAX_VF_MC_ENTRIES, §5.4), 12-bit each. */
export const MAX_MULTICAST_PER_MESSAGE = 30;
/**
 * The longest multicast list a caller may hand over (the API and the daemon): beyond 30 the addresses only
 * turn on the overflow (allmulti, or igb's count, capped at 255 in MSGINFO), so a longer list is a mistake,
 * and checking every entry of a huge one would block the event loop.
 */
export const MAX_MULTICAST_LIST = 256;
export const MULTICAST_HASH_MASK = 0xfff;
/** igb: a count above 30 makes the PF turn on multicast promiscuous (VMOLR.MPE) (§10.3). */
export const IGB_MAX_MULTICAST = 30;

/** SET_VLAN: MSGINFO ≠ 0 adds, 0 removes; the PF masks the id with 0xFFF (§5.4). */
export const VLAN_ADD_MSGINFO = 1;
/** The 12-bit VLAN id field of SET_VLAN's word 1 (the PF masks with it). */
export const VLAN_ID_MASK = 0xfff;
/** Largest usable VLAN id: 802.1Q reserves 4095 and Linux refuses it (VLAN_N_VID − 1 is never valid). */
export const VLAN_ID_MAX = 4094;

/** SET_LPE payload is the max frame: MTU + Ethernet header (14) + FCS (4) (§5.4). */
export const ETH_HEADER_BYTES = 14;
export const ETH_FCS_BYTES = 4;
export const LPE_MIN_FRAME = 68;
export const LPE_MAX_FRAME = 9728;
/**
 * The one source of truth for a VF's MTU range: ixgbevf's min_mtu is ETH_MIN_MTU (68) and its max is
 * IXGBE_MAX_JUMBO_FRAME_SIZE (9728) − ETH_HLEN − ETH_FCS_LEN = 9710 (ixgbevf_probe).
 */
export const MTU_MIN = 68;
export const MTU_MAX = LPE_MAX_FRAME - ETH_HEADER_BYTES - ETH_FCS_BYTES;
/** 82599: a non-jumbo PF's max frame (1500 + 14) and the largest VF frame a non-jumbo PF takes (§5.4). */
export const STANDARD_PF_MAX_FRAME = 1514;
export const STANDARD_VF_MAX_FRAME = 1518;

/** GET_QUEUES reply word indexes (reference §5.4). */
export const QueuesWord = { TX_QUEUES: 1, RX_QUEUES: 2, TRANS_VLAN: 3, DEF_QUEUE: 4 } as const;
export const GET_QUEUES_WORDS = 5;
export const VF_MAX_QUEUES = 8;

/** GET_RETA: words 1..8, 16 two-bit entries each (128 entries); GET_RSS_KEY: words 1..10 (40 bytes). */
export const RETA_REPLY_WORDS = 9;
export const RETA_ENTRIES = 128;
export const RETA_ENTRIES_PER_WORD = 16;
export const RSS_KEY_REPLY_WORDS = 11;
export const RSS_KEY_BYTES = 40;

/** UPDATE_XCAST_MODE word 1 (reference §5.4). */
export const XcastMode = { NONE: 0, MULTI: 1, ALLMULTI: 2, PROMISC: 3 } as const;
export type XcastModeValue = (typeof XcastMode)[keyof typeof XcastMode];

/** GET_PF_LINK_STATE word 1: IXGBE_LINK_SPEED_* bits (reference §5.4). */
export const PfLinkSpeed: Record<number, number> = {
  0x0002: 10,
  0x0008: 100,
  0x0020: 1000,
  0x0080: 10000,
  0x0400: 2500,
  0x0800: 5000,
};

/** FEATURES_NEGOTIATE bits (reference §5.4). */
export const PfFeature = { IPSEC: 1 << 0, ESX_MBX: 1 << 1 } as const;
/** What the in-tree Linux PF supports (IXGBE_SUPPORTED_FEATURES, §5.4): IPsec only. */
export const LINUX_PF_SUPPORTED_FEATURES = PfFeature.IPSEC;

/** igb SET_PROMISC MSGINFO flags (reference §10.3). Linux igb supports only MULTICAST. */
export const IgbPromisc = { UNICAST: 0x01 << 16, MULTICAST: 0x02 << 16 } as const;
/** igb SET_MAC_ADDR MSGINFO: 0 primary, 1 clear filters, 2 add filter (§10.3). */
export const IgbMacFilter = { PRIMARY: 0, CLEAR: 1, ADD: 2 } as const;

/** ETH_FRAME_LEN: a non-jumbo frame without FCS (PF MTU 1500 + 14). `STANDARD_PF_MAX_FRAME` is the same value. */
export const ETH_FRAME_LEN = 1514;
/** Linux ixgbe PF MTU range (ETH_MIN_MTU .. IXGBE_MAX_JUMBO_FRAME_SIZE − 18). */
export const PF_MIN_MTU = 68;
export const PF_MAX_MTU = LPE_MAX_FRAME - ETH_HEADER_BYTES - ETH_FCS_BYTES;

/** ixgbe RAR table size on 82599/X540 and the PF's reserved MACVLAN entries (IXGBE_MAX_PF_MACVLANS = 15). */
export const IXGBE_RAR_ENTRIES = 128;
export const IXGBE_MAX_PF_MACVLANS = 15;
/** VLVF pool-VLAN filter entries shared by all pools (ixgbe 64, igb 32). */
export const IXGBE_VLVF_ENTRIES = 64;
export const IGB_VLVF_ENTRIES = 32;

/** igb PF policy (reference §10.3, igb_main.c/e1000_mbx.c): not-CTS NACK silence window, lock retries. */
export const IGB_NACK_SILENCE_MS = 2000;
export const IGB_PF_LOCK_ATTEMPTS = 11;
export const IGB_PF_LOCK_DELAY_MS = 1;
/** igb SET_LPE clamps to MAX_JUMBO_FRAME_SIZE (0x2600) and always ACKs (igb_set_vf_rlpml) [U exact value]. */
export const IGB_MAX_JUMBO_FRAME = 0x2600;
/** igb RAR entries (82576: 24) and PF-reserved unicast filters (IGB_PF_MAC_FILTERS_RESERVE = 3). */
export const IGB_RAR_ENTRIES = 24;
export const IGB_PF_MAC_FILTERS_RESERVE = 3;

/**
 * ixgbevf's max MTU for an 82599 VF at API 1.0 (ETH_DATA_LEN + FCS, reference §5.4); with API ≥ 1.1 or on
 * later MACs it is LPE_MAX_FRAME − 18.
 */
export const IXGBEVF_82599_API10_MAX_MTU = 1504;
