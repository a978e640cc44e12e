/**
 * Programming the VF's mailbox ("other") interrupt (reference §1.5, §10.1): IVAR_MISC routes the cause
 * to `mailboxVector` (valid bit set), EIAC auto-clears it, EIMS unmasks it. EIAM (auto-mask) is left
 * clear, so no re-enable is needed after each interrupt.
 */
import type { FamilyDescriptor } from '../hw/family.js';
import type { RegisterIo } from '../io.js';

export function mailboxVectorBit(family: FamilyDescriptor): number {
  return (1 << family.irq.mailboxVector) >>> 0;
}

/** Masks every VF interrupt cause and clears pending causes (reset path). */
export function maskInterrupts(regs: RegisterIo, family: FamilyDescriptor): void {
  regs.write32(family.regs.eimc, family.irq.maskAll);
  regs.read32(family.regs.eicr);
}

/** Routes the mailbox cause to its vector and unmasks `family.irq.enableMask` (see its doc for igb). */
export function enableMailboxInterrupt(regs: RegisterIo, family: FamilyDescriptor): void {
  const vectors = (family.irq.enableMask | mailboxVectorBit(family)) >>> 0;
  regs.write32(family.regs.ivarMisc, (family.irq.mailboxVector | family.irq.ivarValid) >>> 0);
  regs.write32(family.regs.eiac, vectors);
  regs.write32(family.regs.eims, vectors);
}
