import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { familyByModel } from '../../src/hw/index.js';
import { IXGBE_PF_REGS } from '../../src/hw/ixgbevf.js';
import { IGB_PF_REGS } from '../../src/hw/igbvf.js';
import { MbxBit, PfMbxBit, REMOVED_REGISTER_VALUE } from '../../src/hw/mailbox.js';
import { MailboxHardware } from '../../src/sim/mailbox-hw.js';

const f82599 = familyByModel('82599');
const R = f82599.regs;
const P = IXGBE_PF_REGS;

function hw(opts: Partial<ConstructorParameters<typeof MailboxHardware>[0]> = {}): MailboxHardware {
  return new MailboxHardware({ family: f82599, ...opts });
}

describe('sim mailbox hardware: VF side', () => {
  it('a VF read returns PFSTS/PFACK/RSTD once and clears them (read-to-clear)', () => {
    const h = hw();
    const vf = h.vf(0).regs;
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.ACK);
    h.pfRegs.write32(P.ctrlExt, P.pfrstd);
    assert.equal(vf.read32(R.mailbox), MbxBit.PFSTS | MbxBit.PFACK | MbxBit.RSTD);
    assert.equal(vf.read32(R.mailbox), 0);
  });

  it('VFU is granted only while PFU is clear and released by any VF write without VFU', () => {
    const h = hw();
    const vf = h.vf(0).regs;
    vf.write32(R.mailbox, MbxBit.VFU);
    assert.equal(vf.read32(R.mailbox) & MbxBit.VFU, MbxBit.VFU);
    // PF cannot lock while VFU is held
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.PFU);
    assert.equal(h.pfRegs.read32(P.mailboxBase) & PfMbxBit.PFU, 0);
    assert.equal(h.pfRegs.read32(P.mailboxBase) & PfMbxBit.VFU, PfMbxBit.VFU);
    vf.write32(R.mailbox, MbxBit.REQ); // exactly REQ: signal + release
    assert.equal(vf.read32(R.mailbox) & MbxBit.VFU, 0);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.PFU);
    assert.equal(h.pfRegs.read32(P.mailboxBase) & PfMbxBit.PFU, PfMbxBit.PFU);
    vf.write32(R.mailbox, MbxBit.VFU);
    assert.equal(vf.read32(R.mailbox), MbxBit.PFU, 'VFU refused while PFU set');
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.STS); // exactly STS releases PFU
    assert.equal(vf.read32(R.mailbox), MbxBit.PFSTS);
  });

  it('REQ and ACK are write-triggers: they set VFREQ/VFACK, interrupt the PF and read back 0', () => {
    const h = hw();
    let irqs = 0;
    h.onPfInterrupt(() => irqs++);
    const vf = h.vf(0).regs;
    vf.write32(R.mailbox, MbxBit.REQ);
    assert.equal(irqs, 1);
    assert.equal(h.pfRegs.read32(P.mbvficrBase), 0x1);
    vf.write32(R.mailbox, MbxBit.ACK);
    assert.equal(irqs, 2);
    assert.equal(h.pfRegs.read32(P.mbvficrBase), 0x10001);
    assert.equal(vf.read32(R.mailbox), 0);
    h.pfRegs.write32(P.mbvficrBase, 0x1); // W1C
    assert.equal(h.pfRegs.read32(P.mbvficrBase), 0x10000);
  });

  it('MBVFICR bits for VF 17 live in the second register (VF % 16)', () => {
    const h = hw({ vfCount: 20 });
    h.vf(17).regs.write32(R.mailbox, MbxBit.REQ);
    assert.equal(h.pfRegs.read32(P.mbvficrBase), 0);
    assert.equal(h.pfRegs.read32(P.mbvficrBase + 4), 1 << 1);
  });

  it('the 16 words are shared with PFMBMEM and not lock-protected', () => {
    const h = hw({ vfCount: 2 });
    h.pfRegs.write32(P.mailboxBase + 4, PfMbxBit.PFU);
    h.vf(1).regs.write32(R.mailboxMemory + 4 * 15, 0xdeadbeef);
    assert.equal(h.pfRegs.read32(P.memoryBase + P.memoryStride + 4 * 15), 0xdeadbeef);
    h.pfRegs.write32(P.memoryBase + P.memoryStride, 0x1234);
    assert.equal(h.vf(1).regs.read32(R.mailboxMemory), 0x1234);
    assert.equal(h.vf(0).regs.read32(R.mailboxMemory), 0);
  });

  it('PF reset leaves exactly RSTI (locks, status and memory lost); PFRSTD clears RSTI and sets RSTD', () => {
    const h = hw();
    const vf = h.vf(0).regs;
    vf.write32(R.mailboxMemory, 0x77);
    vf.write32(R.mailbox, MbxBit.VFU);
    h.pfRegs.write32(P.ctrl, P.ctrlReset);
    assert.equal(vf.read32(R.mailbox), MbxBit.RSTI);
    assert.equal(vf.read32(R.mailbox), MbxBit.RSTI, 'RSTI is a level, not read-to-clear');
    assert.equal(vf.read32(R.mailboxMemory), 0);
    h.pfRegs.write32(P.ctrlExt, P.pfrstd);
    assert.equal(vf.read32(R.mailbox), MbxBit.RSTD);
    assert.equal(vf.read32(R.mailbox), 0);
  });

  it('VF CTRL.RST sets VFLRE and interrupts the PF, mailbox bits untouched; VFLREC is W1C', () => {
    const h = hw();
    let irqs = 0;
    h.onPfInterrupt(() => irqs++);
    const vf = h.vf(0).regs;
    vf.write32(R.mailbox, MbxBit.VFU);
    vf.write32(R.ctrl, f82599.ctrlReset);
    assert.equal(irqs, 1);
    assert.equal(h.pfRegs.read32(P.vflre[0]!), 1);
    assert.equal(h.pfRegs.read32(P.vflrecBase), 1);
    assert.equal(vf.read32(R.mailbox), MbxBit.VFU);
    h.pfRegs.write32(P.vflrecBase, 1);
    assert.equal(h.pfRegs.read32(P.vflre[0]!), 0);
  });

  it('RVFU clears a stuck VFU', () => {
    const h = hw();
    const vf = h.vf(0).regs;
    vf.write32(R.mailbox, MbxBit.VFU);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.RVFU);
    assert.equal(vf.read32(R.mailbox), 0);
  });

  it('unknown offsets read 0 and ignore writes; VFLINKS reflects link', () => {
    const h = hw();
    const vf = h.vf(0).regs;
    vf.write32(0x1234, 5);
    assert.equal(vf.read32(0x1234), 0);
    assert.equal(vf.read32(R.links), (f82599.link.up | 0x30000000) >>> 0);
    h.linkUp = false;
    assert.equal(vf.read32(R.links), 0);
  });

  it('removed device: every read is 0xFFFFFFFF, writes dropped', () => {
    const h = hw();
    h.removed = true;
    const vf = h.vf(0).regs;
    vf.write32(R.mailbox, MbxBit.REQ);
    assert.equal(vf.read32(R.mailbox), REMOVED_REGISTER_VALUE);
    assert.equal(vf.read32(R.mailboxMemory), REMOVED_REGISTER_VALUE);
    h.removed = false;
    assert.equal(h.pfRegs.read32(P.mbvficrBase), 0, 'REQ written while removed was dropped');
  });

  it('trace records VF and PF accesses when enabled', () => {
    const h = hw();
    h.tracing = true;
    h.vf(0).regs.write32(R.mailbox, MbxBit.REQ);
    h.vf(0).regs.read32(R.mailbox);
    assert.deepEqual(h.trace, [
      { side: 'vf', op: 'w', offset: R.mailbox, value: MbxBit.REQ, vf: 0 },
      { side: 'vf', op: 'r', offset: R.mailbox, value: 0, vf: 0 },
    ]);
  });
});

describe('sim mailbox hardware: VF interrupt routing', () => {
  it('no delivery without IVAR_MISC valid bit; delivery on the programmed vector when unmasked', () => {
    const h = hw();
    const port = h.vf(0);
    let count = 0;
    port.irqs.on(() => count++);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    assert.equal(count, 0, 'IVAR_MISC not programmed');
    port.regs.write32(R.ivarMisc, 0x80 | 1);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    assert.equal(count, 0, 'vector masked');
    assert.equal(port.regs.read32(R.eicr), 0b10, 'cause latched in EICR');
    port.regs.write32(R.eims, 0b10);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.ACK);
    assert.equal(count, 1);
    assert.equal(port.lastVector, 1);
    port.regs.write32(R.eimc, 0b10);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    assert.equal(count, 1, 'masked again');
    port.regs.write32(R.eims, 0b10);
    assert.equal(count, 2, 'pending cause delivered on unmask');
  });

  it('auto-mask (EIAM) masks the vector after delivery; deliverIrqAlways ignores routing', () => {
    const h = hw();
    const port = h.vf(0);
    let count = 0;
    port.irqs.on(() => count++);
    port.regs.write32(R.ivarMisc, 0x80 | 1);
    port.regs.write32(R.eiam, 0b10);
    port.regs.write32(R.eiac, 0b10);
    port.regs.write32(R.eims, 0b10);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    assert.equal(count, 1);
    assert.equal(port.regs.read32(R.eims) & 0b10, 0);
    h.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    assert.equal(count, 1);
    const h2 = hw({ deliverIrqAlways: true });
    let c2 = 0;
    h2.vf(0).irqs.on(() => c2++);
    h2.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    h2.pfRegs.write32(P.mailboxBase, PfMbxBit.STS);
    assert.equal(c2, 2);
  });

  it('PFRSTD sets RSTD and clears RSTI but raises no VF interrupt (QEMU igb_set_ctrlext; the PF\'s pings after it do)', () => {
    const h = hw({ deliverIrqAlways: true });
    let count = 0;
    h.vf(0).irqs.on(() => count++);
    h.pfRegs.write32(P.ctrl, P.ctrlReset);
    h.pfRegs.write32(P.ctrlExt, P.pfrstd);
    assert.equal(count, 0);
    assert.equal(h.peekVfMailbox(0) & 0xc0, 0x80, 'RSTD set, RSTI clear');
  });
});

describe('sim mailbox hardware: igb offsets', () => {
  it('uses V2PMAILBOX 0xC40 / VMBMEM 0x800 on the VF and P2VMAILBOX/MBVFICR/VFLRE on the PF', () => {
    const fam = familyByModel('82576');
    const h = new MailboxHardware({ family: fam, vfCount: 2 });
    const vf1 = h.vf(1).regs;
    vf1.write32(0xc40, MbxBit.REQ);
    assert.equal(h.pfRegs.read32(IGB_PF_REGS.mbvficrBase), 0b10);
    vf1.write32(0x800, 42);
    assert.equal(h.pfRegs.read32(IGB_PF_REGS.memoryBase + IGB_PF_REGS.memoryStride), 42);
    vf1.write32(0x0, fam.ctrlReset);
    assert.equal(h.pfRegs.read32(IGB_PF_REGS.vflre[0]!), 0b10);
    h.pfRegs.write32(IGB_PF_REGS.vflrecBase, 0b10);
    assert.equal(h.pfRegs.read32(IGB_PF_REGS.vflre[0]!), 0);
    h.pfRegs.write32(IGB_PF_REGS.mailboxBase + 4, PfMbxBit.STS);
    assert.equal(vf1.read32(0xc40), MbxBit.PFSTS);
    assert.equal(vf1.read32(0x8) & fam.link.up, fam.link.up, 'STATUS.LU');
  });
});
