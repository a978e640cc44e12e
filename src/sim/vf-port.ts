/**
 * One VF's side of the simulated mailbox hardware: its register state (`VfMailboxState`: VFMAILBOX bits, the
 * shared memory, the PF-side VFREQ/VFACK/VFLRE, the interrupt registers), the decoding of its register
 * reads and writes (read-to-clear PFSTS/PFACK/RSTD, VFU granted only while PFU is clear, REQ/ACK as
 * write-triggers that interrupt the PF, CTRL.RST → VFLRE), and the routing of its mailbox ("other")
 * interrupt through IVAR_MISC, EIMS, EIAC and EIAM to MSI-X. What the whole device shares (the PF side,
 * the link, faults, removal, tracing) is the `VfPortHost`, implemented by MailboxHardware.
 */
import { IrqEmitter, type IrqSource, type RegisterIo } from '../io.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { MAILBOX_WORDS, MbxBit } from '../hw/mailbox.js';
import type { SimFaults } from './faults.js';

/** What a VF port needs of the device it belongs to. */
export interface VfPortHost {
  readonly family: FamilyDescriptor;
  readonly faults: SimFaults;
  /** Deliver the mailbox interrupt whenever raised, ignoring IVAR_MISC/EIMS. */
  readonly deliverIrqAlways: boolean;
  /** VFs whose PFU is held by an injected fault until their next mailbox read. */
  readonly faultPfuHeld: Set<number>;
  /** Register access through the device (tracing, surprise removal). */
  vfRead(port: SimVfPort, offset: number): number;
  vfWrite(port: SimVfPort, offset: number, value: number): void;
  /** The link register's value (VFLINKS / STATUS). */
  linkRegister(): number;
  /** Interrupt the PF (a doorbell or a VFLR). */
  raisePf(): void;
}

/** Per-VF hardware state (exposed read-only for assertions). */
export interface VfMailboxState {
  vfu: boolean;
  pfu: boolean;
  pfsts: boolean;
  pfack: boolean;
  rsti: boolean;
  rstd: boolean;
  vfreq: boolean;
  vfack: boolean;
  vflre: boolean;
  readonly mem: Uint32Array;
  /** VF interrupt registers. */
  eims: number;
  eicr: number;
  eiac: number;
  eiam: number;
  ivarMisc: number;
}

/** A VF's state at power-up (RSTI set when the PF is not up yet). */
export function initialVfState(pfInReset: boolean): VfMailboxState {
  return {
    vfu: false,
    pfu: false,
    pfsts: false,
    pfack: false,
    rsti: pfInReset,
    rstd: false,
    vfreq: false,
    vfack: false,
    vflre: false,
    mem: new Uint32Array(MAILBOX_WORDS),
    eims: 0,
    eicr: 0,
    eiac: 0,
    eiam: 0,
    ivarMisc: 0,
  };
}

export class SimVfPort {
  readonly irqs: IrqEmitter = new IrqEmitter();
  readonly regs: RegisterIo;
  /** Number of interrupts delivered on `irqs`. */
  delivered = 0;
  /** Vector of the last delivered mailbox interrupt (-1 = none or "always" mode). */
  lastVector = -1;

  readonly #host: VfPortHost;

  constructor(
    readonly index: number,
    readonly state: VfMailboxState,
    host: VfPortHost,
  ) {
    this.#host = host;
    this.regs = {
      read32: (offset) => host.vfRead(this, offset),
      write32: (offset, value) => host.vfWrite(this, offset, value),
    };
  }

  get irqSource(): IrqSource {
    return this.irqs;
  }

  /** A VF register read (decoded; removal and tracing are the hardware's). */
  read(offset: number): number {
    const regs = this.#host.family.regs;
    const s = this.state;
    if (offset === regs.mailbox) {
      const value = this.mailboxBits();
      s.pfsts = s.pfack = s.rstd = false;
      if (this.#host.faultPfuHeld.delete(this.index)) s.pfu = false;
      return value;
    }
    const mem = offset - regs.mailboxMemory;
    if (mem >= 0 && mem < MAILBOX_WORDS * 4 && mem % 4 === 0) return s.mem[mem / 4] ?? 0;
    if (offset === regs.links) return this.#host.linkRegister();
    if (offset === regs.status) return 0;
    if (offset === regs.eicr) {
      const v = s.eicr;
      s.eicr = 0;
      return v;
    }
    if (offset === regs.eims) return s.eims;
    if (offset === regs.eiac) return s.eiac;
    if (offset === regs.eiam) return s.eiam;
    if (offset === regs.ivarMisc) return s.ivarMisc;
    // CTRL (RST self-clears), EICS, EIMC and every unknown offset read 0.
    return 0;
  }

  /** A VF register write (decoded). */
  write(offset: number, value: number): void {
    const regs = this.#host.family.regs;
    const s = this.state;
    if (offset === regs.mailbox) {
      if (value & MbxBit.VFU) {
        if (this.#host.faults.takePfHoldsLock()) {
          s.pfu = true;
          this.#host.faultPfuHeld.add(this.index);
        }
        if (!s.pfu) s.vfu = true;
      } else {
        s.vfu = false;
      }
      let doorbell = false;
      if (value & MbxBit.REQ) {
        s.vfreq = true;
        doorbell = true;
      }
      if (value & MbxBit.ACK) {
        s.vfack = true;
        doorbell = true;
      }
      if (doorbell) this.#host.raisePf();
      return;
    }
    const mem = offset - regs.mailboxMemory;
    if (mem >= 0 && mem < MAILBOX_WORDS * 4 && mem % 4 === 0) {
      s.mem[mem / 4] = value;
      return;
    }
    if (offset === regs.ctrl) {
      if (value & this.#host.family.ctrlReset) {
        // VF software reset: VFLRE + PF interrupt; the mailbox bits are not touched [Q].
        s.vflre = true;
        this.#host.raisePf();
      }
      return;
    }
    if (offset === regs.eims) {
      s.eims |= value;
      // A cause pending while masked is delivered when unmasked.
      if (s.eicr & value) this.deliver(s.eicr & value);
      return;
    }
    if (offset === regs.eimc) {
      s.eims &= ~value;
      return;
    }
    if (offset === regs.eiac) {
      s.eiac = value;
      return;
    }
    if (offset === regs.eiam) {
      s.eiam = value;
      return;
    }
    if (offset === regs.eicr) {
      s.eicr &= ~value;
      return;
    }
    if (offset === regs.eics) {
      this.raiseCauses(value & this.#host.family.irq.maskAll);
      return;
    }
    if (offset === regs.ivarMisc) {
      s.ivarMisc = value;
      return;
    }
    // Unknown offsets (queues, STATUS, …): writes ignored.
  }

  /** VFMAILBOX as the VF reads it (without the read-to-clear side effect). */
  mailboxBits(): number {
    const s = this.state;
    return (
      (s.vfu ? MbxBit.VFU : 0) |
      (s.pfu ? MbxBit.PFU : 0) |
      (s.pfsts ? MbxBit.PFSTS : 0) |
      (s.pfack ? MbxBit.PFACK : 0) |
      (s.rsti ? MbxBit.RSTI : 0) |
      (s.rstd ? MbxBit.RSTD : 0)
    );
  }

  /** The mailbox ("other") cause was raised for this VF: route it through IVAR_MISC/EIMS. */
  raise(): void {
    if (this.#host.deliverIrqAlways) {
      this.lastVector = -1;
      this.delivered++;
      this.irqs.fire(1);
      return;
    }
    const s = this.state;
    const valid = this.#host.family.irq.ivarValid;
    if ((s.ivarMisc & valid) === 0) return;
    const vector = s.ivarMisc & (valid - 1);
    if (vector >= this.#host.family.irq.vectors) return;
    this.raiseCauses(1 << vector);
  }

  raiseCauses(causes: number): void {
    if (causes === 0) return;
    const s = this.state;
    s.eicr |= causes;
    const deliverable = s.eicr & s.eims & causes;
    if (deliverable) this.deliver(deliverable);
  }

  deliver(causes: number): void {
    const s = this.state;
    // MSI-X delivery: auto-clear (EIAC) and auto-mask (EIAM) per cause.
    s.eicr &= ~(causes & s.eiac);
    s.eims &= ~(causes & s.eiam);
    for (let v = 0; v < this.#host.family.irq.vectors; v++) {
      if (causes & (1 << v)) {
        this.lastVector = v;
        this.delivered++;
        this.irqs.fire(1);
      }
    }
  }
}
