/** igb VF families: 82576 (QEMU's igb) and I350 (reference §10.1–§10.3). */
import type { FamilyDescriptor, PfMailboxRegisterMap, VfModel, VfRegisterMap } from './family.js';
import { IgbVfDeviceId } from './ids.js';
import { MsgId } from './messages.js';

/** igbvf VF BAR0 registers (reference §10.1). Link is in STATUS. */
export const IGBVF_REGS: VfRegisterMap = {
  ctrl: 0x0000,
  status: 0x0008,
  links: 0x0008,
  mailbox: 0x0c40,
  mailboxMemory: 0x0800,
  eicr: 0x1580,
  eics: 0x1520,
  eims: 0x1524,
  eimc: 0x1528,
  eiac: 0x152c,
  eiam: 0x1530,
  ivarMisc: 0x1740,
};

export const IGBVF_CTRL_RST = 0x04000000;

/** igb PF dispatch set (reference §10.3): 0x06 is SET_PROMISC here, no API negotiation. */
const IGB_MESSAGES: ReadonlySet<number> = new Set([
  MsgId.RESET,
  MsgId.SET_MAC_ADDR,
  MsgId.SET_MULTICAST,
  MsgId.SET_VLAN,
  MsgId.SET_LPE,
  MsgId.IGB_SET_PROMISC,
]);

/** igbvf: write_posted waits for PFACK, and a timeout zeroes mbx->timeout until the next reset (see MailboxPolicy). */
export const IGBVF_MAILBOX_POLICY = { writeWaitsForPfAck: true, timeoutIsSticky: true } as const;

function igbFamily(model: Extract<VfModel, '82576' | 'I350'>): FamilyDescriptor {
  return {
    kind: 'igbvf',
    model,
    deviceId: IgbVfDeviceId[model],
    regs: IGBVF_REGS,
    ctrlReset: IGBVF_CTRL_RST,
    // STATUS: LU 0x02, SPEED_100 0x40, SPEED_1000 0x80 (reference §10.1).
    link: { up: 0x02, speedMask: 0xc0, speeds: { 0x00: 10, 0x40: 100, 0x80: 1000 } },
    resetReplyWords: 3,
    replyWords: 1,
    negotiatesApi: false,
    messages: IGB_MESSAGES,
    // igbvf: 0 = Tx, 1 = Rx, 2 = other/mailbox (reference §10.1). Vector 2 also avoids QEMU's vector-0 bug.
    irq: { vectors: 3, mailboxVector: 2, ivarValid: 0x80, maskAll: 0x7, enableMask: 0x7 },
    isX550Class: false,
    mailboxPolicy: IGBVF_MAILBOX_POLICY,
  };
}

export const IGBVF_FAMILIES: readonly FamilyDescriptor[] = [igbFamily('82576'), igbFamily('I350')];

/** igb PF-side mailbox registers (reference §10.2): P2VMAILBOX 0xC00, VMBMEM 0x800, MBVFICR 0xC80, VFLRE 0xC88 (W1C). */
export const IGB_PF_REGS: PfMailboxRegisterMap = {
  ctrl: 0x0000,
  ctrlReset: 0x04000000,
  ctrlExt: 0x0018,
  pfrstd: 0x4000,
  mailboxBase: 0x0c00,
  mailboxStride: 4,
  memoryBase: 0x0800,
  memoryStride: 0x40,
  mbvficrBase: 0x0c80,
  vfsPerMbvficr: 16,
  vfackShift: 16,
  vflre: [0x0c88],
  vflrecBase: 0x0c88,
  maxVfs: 8,
};
