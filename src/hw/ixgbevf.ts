/** ixgbe VF families: 82599, X540, X550, X550EM_x, X550EM_a, E610 (reference §1, §9.1). */
import type { FamilyDescriptor, LinkBits, PfMailboxRegisterMap, VfModel, VfRegisterMap } from './family.js';
import { IxgbeVfDeviceId } from './ids.js';
import { MAILBOX_WORDS } from './mailbox.js';
import { MsgId } from './messages.js';

/** VF BAR0 register map, identical across ixgbe VFs (reference §1.1). */
export const IXGBEVF_REGS: VfRegisterMap = {
  ctrl: 0x0000,
  status: 0x0008,
  links: 0x0010,
  mailbox: 0x02fc,
  mailboxMemory: 0x0200,
  eicr: 0x0100,
  eics: 0x0104,
  eims: 0x0108,
  eimc: 0x010c,
  eiac: 0x0110,
  eiam: 0x0114,
  ivarMisc: 0x0140,
};

/** IXGBE_CTRL_RST (reference §1.1). */
export const IXGBEVF_CTRL_RST = 0x04000000;

/** VFLINKS bits (reference §1.4). */
export const IXGBEVF_LINK: LinkBits = {
  up: 0x40000000,
  speedMask: 0x30000000,
  speeds: { 0x30000000: 10000, 0x20000000: 1000, 0x10000000: 100, 0x00000000: 10 },
  nonStandard: 0x08000000,
};

/** 3 MSI-X vectors (IXGBE_VF_IRQ_CLEAR_MASK = 7, reference §1.1). Mailbox on the last one, as ixgbevf. */
const IXGBEVF_IRQ = { vectors: 3, mailboxVector: 1, ivarValid: 0x80, maskAll: 0x7, enableMask: 1 << 1 } as const;

/** Messages the Linux ixgbe PF dispatches (reference §6.3), newest set. */
const IXGBE_MESSAGES: ReadonlySet<number> = new Set([
  MsgId.RESET,
  MsgId.SET_MAC_ADDR,
  MsgId.SET_MULTICAST,
  MsgId.SET_VLAN,
  MsgId.SET_LPE,
  MsgId.SET_MACVLAN,
  MsgId.API_NEGOTIATE,
  MsgId.GET_QUEUES,
  MsgId.GET_RETA,
  MsgId.GET_RSS_KEY,
  MsgId.UPDATE_XCAST_MODE,
  MsgId.IPSEC_ADD,
  MsgId.IPSEC_DEL,
  MsgId.GET_LINK_STATE,
  MsgId.GET_PF_LINK_STATE,
  MsgId.FEATURES_NEGOTIATE,
]);

/** Current ixgbevf: no PFACK wait after REQ, a timeout fails only its own call (see MailboxPolicy). */
export const IXGBEVF_MAILBOX_POLICY = { writeWaitsForPfAck: false, timeoutIsSticky: false } as const;

function ixgbeFamily(model: Exclude<VfModel, '82576' | 'I350'>, isX550Class: boolean): FamilyDescriptor {
  return {
    kind: 'ixgbevf',
    model,
    deviceId: IxgbeVfDeviceId[model],
    regs: IXGBEVF_REGS,
    ctrlReset: IXGBEVF_CTRL_RST,
    link: IXGBEVF_LINK,
    resetReplyWords: 4,
    replyWords: MAILBOX_WORDS,
    negotiatesApi: true,
    messages: IXGBE_MESSAGES,
    irq: IXGBEVF_IRQ,
    isX550Class,
    mailboxPolicy: IXGBEVF_MAILBOX_POLICY,
  };
}

export const IXGBEVF_FAMILIES: readonly FamilyDescriptor[] = [
  ixgbeFamily('82599', false),
  ixgbeFamily('X540', false),
  ixgbeFamily('X550', true),
  ixgbeFamily('X550EM_x', true),
  ixgbeFamily('X550EM_a', true),
  ixgbeFamily('E610', true),
];

/** ixgbe PF-side mailbox registers (reference §2): PFMAILBOX 0x4B00, PFMBMEM 0x13000, MBVFICR 0x710, VFLRE/VFLREC, CTRL_EXT.PFRSTD. */
export const IXGBE_PF_REGS: PfMailboxRegisterMap = {
  ctrl: 0x00000,
  ctrlReset: 0x04000000,
  ctrlExt: 0x00018,
  pfrstd: 0x00004000,
  mailboxBase: 0x04b00,
  mailboxStride: 4,
  memoryBase: 0x13000,
  memoryStride: 0x40,
  mbvficrBase: 0x00710,
  vfsPerMbvficr: 16,
  vfackShift: 16,
  vflre: [0x00600, 0x001c0],
  vflrecBase: 0x00700,
  maxVfs: 64,
};
