/**
 * Model of the SR-IOV mailbox **hardware**, both sides (reference §1.2, §2, §3, §10.4, §11.3):
 *
 * - per VF: VFMAILBOX bits {VFU, PFU, PFSTS, PFACK, RSTI, RSTD}, the 16-word shared memory (no lock
 *   protection in hardware, §3.2), PF-side VFREQ/VFACK (MBVFICR, W1C) and VFLRE;
 * - the VF's view (`vf(n).regs`, a `RegisterIo` at the family's VF BAR0 offsets) and the PF's view
 *   (`pfRegs`, a `RegisterIo` at the family's PF BAR0 offsets, `PfMailboxRegisterMap`);
 * - the VF "other" interrupt through EIMS/EIMC/EIAC/EIAM/EICR/IVAR_MISC, delivered on `vf(n).irqs`.
 *
 * This file owns the device (ports, link, faults, removal, tracing) and the PF's side of the registers;
 * each VF's registers and interrupt routing are its `SimVfPort` (vf-port.ts).
 *
 * Rules, where the hardware is not documented publicly, follow QEMU's igb model [Q]: REQ/ACK and STS/ACK
 * are write-triggers (never latched, read back 0); a VF read clears PFSTS, PFACK and RSTD; a write
 * without VFU (PFU) releases that side's lock; VFU (PFU) is granted only while the other lock is clear;
 * RVFU clears VFU and the VF's MBVFICR bits; a PF reset leaves every VF mailbox at exactly RSTI and zeroes
 * the memory; PFRSTD clears RSTI and sets RSTD; a VF CTRL.RST (or FLR) sets VFLRE and interrupts the PF
 * but does not touch the mailbox bits (QEMU ≥ 8.1; unconfirmed on ixgbe silicon, §12).
 */
import type { RegisterIo } from '../io.js';
import type { FamilyDescriptor, PfMailboxRegisterMap } from '../hw/family.js';
import { IGB_PF_REGS } from '../hw/igbvf.js';
import { IXGBE_PF_REGS } from '../hw/ixgbevf.js';
import { MAILBOX_WORDS, PfMbxBit, REMOVED_REGISTER_VALUE } from '../hw/mailbox.js';
import { SimFaults } from './faults.js';
import { SimVfPort, initialVfState, type VfPortHost } from './vf-port.js';

export { SimVfPort, type VfMailboxState } from './vf-port.js';

/** The speed code E610's stale VFLINKS shows (IXGBE_LINKS_SPEED_10G_82599). */
const E610_STALE_VFLINKS_SPEED = 0x30000000;
export interface TraceEntry {
  readonly side: 'vf' | 'pf';
  readonly op: 'r' | 'w';
  readonly offset: number;
  readonly value: number;
  /** VF index for VF-side accesses; -1 for PF-side accesses. */
  readonly vf: number;
}

export interface MailboxHardwareOptions {
  family: FamilyDescriptor;
  /** Number of VFs behind the PF (default 1). */
  vfCount?: number;
  /** Deliver the VF mailbox interrupt whenever a cause is raised, ignoring IVAR_MISC/EIMS (default false). */
  deliverIrqAlways?: boolean;
  /** Initial physical link (default up) and speed in Mb/s (default: the family's fastest). */
  linkUp?: boolean;
  linkSpeedMbps?: number;
  /** Start with RSTI set in every VF (PF not yet up). Default false. */
  pfInReset?: boolean;
  faults?: SimFaults;
}

/** PF-side register map for a VF family. */
export function pfRegsFor(family: FamilyDescriptor): PfMailboxRegisterMap {
  return family.kind === 'igbvf' ? IGB_PF_REGS : IXGBE_PF_REGS;
}

const ALL_ONES = REMOVED_REGISTER_VALUE;

function u32(v: number): number {
  return v >>> 0;
}

export class MailboxHardware implements VfPortHost {
  readonly family: FamilyDescriptor;
  readonly pfMap: PfMailboxRegisterMap;
  readonly faults: SimFaults;
  readonly vfCount: number;
  /** The PF's register view (PF BAR0 offsets). */
  readonly pfRegs: RegisterIo;
  /** Access trace; recorded only while `tracing` is true. */
  readonly trace: TraceEntry[] = [];
  tracing = false;
  deliverIrqAlways: boolean;
  /** Surprise removal: every read returns 0xFFFFFFFF, writes are dropped (both sides). */
  removed = false;
  linkUp: boolean;
  linkSpeedMbps: number;

  readonly #ports: SimVfPort[] = [];
  /** Usually one (the PF model): an array, not a Set, since there is one per simulated PF. */
  #pfIrqListeners: (() => void)[] = [];
  #ctrlExt = 0;
  /** VF whose PFU is held by an injected fault until that VF's next mailbox read. */
  /** @internal */
  readonly faultPfuHeld = new Set<number>();

  constructor(opts: MailboxHardwareOptions) {
    this.family = opts.family;
    this.pfMap = pfRegsFor(opts.family);
    this.faults = opts.faults ?? new SimFaults();
    this.vfCount = opts.vfCount ?? 1;
    if (!Number.isInteger(this.vfCount) || this.vfCount < 1 || this.vfCount > this.pfMap.maxVfs) {
      throw new RangeError(`vfCount must be 1..${this.pfMap.maxVfs}`);
    }
    this.deliverIrqAlways = opts.deliverIrqAlways ?? false;
    this.linkUp = opts.linkUp ?? true;
    const speeds = Object.values(opts.family.link.speeds);
    this.linkSpeedMbps = opts.linkSpeedMbps ?? Math.max(...speeds);
    for (let i = 0; i < this.vfCount; i++) {
      const state = initialVfState(opts.pfInReset ?? false);
      this.#ports.push(new SimVfPort(i, state, this));
    }
    this.pfRegs = {
      read32: (offset) => this.#pfRead(offset),
      write32: (offset, value) => this.#pfWrite(offset, value),
    };
  }

  vf(index = 0): SimVfPort {
    const port = this.#ports[index];
    if (port === undefined) throw new RangeError(`no VF ${index} (vfCount ${this.vfCount})`);
    return port;
  }

  /** Subscribes to the PF mailbox interrupt (EICR.MAILBOX / ICR.VMMB); MBVFIMR is ignored, as QEMU does. */
  onPfInterrupt(listener: () => void): () => void {
    if (!this.#pfIrqListeners.includes(listener)) this.#pfIrqListeners = [...this.#pfIrqListeners, listener];
    return () => {
      this.#pfIrqListeners = this.#pfIrqListeners.filter((l) => l !== listener);
    };
  }

  /** Decoded VFMAILBOX bits as the VF would read them, **without** the read-to-clear side effect. */
  peekVfMailbox(vf = 0): number {
    return this.vf(vf).mailboxBits();
  }

  /**
   * PF hardware reset (power-up, PF FLR, CTRL.RST): every VF mailbox becomes exactly RSTI, memory zeroed,
   * and the VFs' interrupt registers go back to their reset values (a device reset resets the VFs' register
   * space too: the VF must program its mailbox interrupt again, as its reset sequence does).
   */
  pfHardwareReset(): void {
    for (const port of this.#ports) {
      const s = port.state;
      s.vfu = s.pfu = s.pfsts = s.pfack = s.rstd = false;
      s.rsti = true;
      s.vfreq = s.vfack = s.vflre = false;
      s.mem.fill(0);
      s.eims = s.eicr = s.eiac = s.eiam = s.ivarMisc = 0;
      this.faultPfuHeld.delete(port.index);
    }
    this.#ctrlExt = 0;
  }

  /** Physical function-level reset of one VF (what vfio-pci does on release): VFLRE + PF interrupt. */
  vfFlr(vf = 0): void {
    this.vf(vf).state.vflre = true;
    this.raisePf();
  }

  // ------------------------------------------------------------------------------------------------
  // VF side

  /** @internal */
  vfRead(port: SimVfPort, offset: number): number {
    const value = this.removed ? ALL_ONES : port.read(offset);
    if (this.tracing) this.trace.push({ side: 'vf', op: 'r', offset, value, vf: port.index });
    return value;
  }

  /** @internal */
  vfWrite(port: SimVfPort, offset: number, value: number): void {
    value = u32(value);
    if (this.tracing) this.trace.push({ side: 'vf', op: 'w', offset, value, vf: port.index });
    if (this.removed) return;
    port.write(offset, value);
  }

  /** @internal The link register's value (VFLINKS / STATUS) for the current link. */
  linkRegister(): number {
    const link = this.family.link;
    // E610 does not maintain VFLINKS for its VFs: it reads a stale default (10G, up) whatever the PF's
    // link does, which is why ixgbevf asks the PF at API ≥ 1.6 (ixgbevf_check_mac_link_vf,
    // "ixgbevf: fix getting link speed data for E610 devices"). A VF that trusts VFLINKS here is wrong.
    if (this.family.model === 'E610') return u32(link.up | E610_STALE_VFLINKS_SPEED);
    if (!this.linkUp) return 0;
    const entry = Object.entries(link.speeds).find(([, mbps]) => mbps === this.linkSpeedMbps);
    const code = entry === undefined ? 0 : Number(entry[0]);
    return u32(link.up | code);
  }

  /** @internal */
  raisePf(): void {
    // A new array on every change: listeners (un)subscribing during delivery do not disturb this round.
    for (const listener of this.#pfIrqListeners) listener();
  }

  // ------------------------------------------------------------------------------------------------
  // PF side

  #pfVfOf(offset: number, base: number, stride: number, count: number): number {
    const rel = offset - base;
    if (rel < 0 || rel % stride !== 0) return -1;
    const vf = rel / stride;
    return vf < count ? vf : -1;
  }

  #pfRead(offset: number): number {
    const value = this.removed ? ALL_ONES : this.#pfReadInner(offset);
    if (this.tracing) this.trace.push({ side: 'pf', op: 'r', offset, value, vf: -1 });
    return value;
  }

  #pfWrite(offset: number, value: number): void {
    value = u32(value);
    if (this.tracing) this.trace.push({ side: 'pf', op: 'w', offset, value, vf: -1 });
    if (this.removed) return;
    this.#pfWriteInner(offset, value);
  }

  #pfReadInner(offset: number): number {
    const m = this.pfMap;
    const mbx = this.#pfVfOf(offset, m.mailboxBase, m.mailboxStride, this.vfCount);
    if (mbx >= 0) {
      const s = this.vf(mbx).state;
      return (s.vfu ? PfMbxBit.VFU : 0) | (s.pfu ? PfMbxBit.PFU : 0);
    }
    const memRel = offset - m.memoryBase;
    if (memRel >= 0 && memRel % 4 === 0) {
      const vf = Math.floor(memRel / m.memoryStride);
      const word = (memRel % m.memoryStride) / 4;
      if (vf < this.vfCount && word < MAILBOX_WORDS) return this.vf(vf).state.mem[word] ?? 0;
    }
    const icr = this.#mbvficrIndex(offset);
    if (icr >= 0) return this.#mbvficrValue(icr);
    const lre = this.#vflreIndex(offset);
    if (lre >= 0) return this.#vflreValue(lre);
    if (offset === m.ctrlExt) return this.#ctrlExt;
    return 0;
  }

  #pfWriteInner(offset: number, value: number): void {
    const m = this.pfMap;
    const mbx = this.#pfVfOf(offset, m.mailboxBase, m.mailboxStride, this.vfCount);
    if (mbx >= 0) {
      this.#pfMailboxWrite(this.vf(mbx), value);
      return;
    }
    const memRel = offset - m.memoryBase;
    if (memRel >= 0 && memRel % 4 === 0) {
      const vf = Math.floor(memRel / m.memoryStride);
      const word = (memRel % m.memoryStride) / 4;
      if (vf < this.vfCount && word < MAILBOX_WORDS) {
        this.vf(vf).state.mem[word] = value;
        return;
      }
    }
    const icr = this.#mbvficrIndex(offset);
    if (icr >= 0) {
      this.#forVfsInGroup(icr, m.vfsPerMbvficr, (port, bit) => {
        if (value & (1 << bit)) port.state.vfreq = false;
        if (value & (1 << (m.vfackShift + bit))) port.state.vfack = false;
      });
      return;
    }
    const lrec = this.#vflrecIndex(offset);
    if (lrec >= 0) {
      this.#forVfsInGroup(lrec, 32, (port, bit) => {
        if (value & (1 << bit)) port.state.vflre = false;
      });
      return;
    }
    if (offset === m.ctrlExt) {
      this.#ctrlExt = value;
      if (value & m.pfrstd) {
        // PF reset done: RSTI → 0, RSTD → 1 in every VF (repeated writes re-raise RSTD [Q]). No VF interrupt
        // (QEMU's igb_set_ctrlext raises none; the Linux PFs' pings after it do): a VF that waits for the PF
        // to come back sees RSTD only by reading VFMAILBOX.
        for (const port of this.#ports) {
          port.state.rsti = false;
          port.state.rstd = true;
        }
      }
      return;
    }
    if (offset === m.ctrl && value & m.ctrlReset) {
      this.pfHardwareReset();
    }
  }

  #pfMailboxWrite(port: SimVfPort, value: number): void {
    const s = port.state;
    if (value & PfMbxBit.PFU) {
      // Only a lock attempt (exactly PFU, as both Linux PFs write it) can be made to fail by a fault.
      if (value === PfMbxBit.PFU && this.faults.takePfLockFailure()) {
        // Injected: as if the VF held VFU at this instant.
      } else if (!s.vfu) {
        s.pfu = true;
      }
    } else {
      s.pfu = false;
      this.faultPfuHeld.delete(port.index);
    }
    if (value & PfMbxBit.RVFU) {
      s.vfu = false;
      s.vfreq = s.vfack = false;
    }
    let irq = false;
    if (value & PfMbxBit.STS) {
      s.pfsts = true;
      irq = true;
    }
    if (value & PfMbxBit.ACK) {
      s.pfack = true;
      irq = true;
    }
    if (irq) port.raise();
  }

  #mbvficrIndex(offset: number): number {
    const m = this.pfMap;
    const groups = Math.ceil(this.vfCount / m.vfsPerMbvficr);
    return this.#pfVfOf(offset, m.mbvficrBase, 4, groups);
  }

  #mbvficrValue(index: number): number {
    const m = this.pfMap;
    let v = 0;
    this.#forVfsInGroup(index, m.vfsPerMbvficr, (port, bit) => {
      if (port.state.vfreq) v |= 1 << bit;
      if (port.state.vfack) v |= 1 << (m.vfackShift + bit);
    });
    return u32(v);
  }

  #vflreIndex(offset: number): number {
    const i = this.pfMap.vflre.indexOf(offset);
    if (i >= 0 && i * 32 < this.vfCount) return i;
    return this.#vflrecIndex(offset);
  }

  #vflrecIndex(offset: number): number {
    return this.#pfVfOf(offset, this.pfMap.vflrecBase, 4, Math.ceil(this.vfCount / 32));
  }

  #vflreValue(index: number): number {
    let v = 0;
    this.#forVfsInGroup(index, 32, (port, bit) => {
      if (port.state.vflre) v |= 1 << bit;
    });
    return u32(v);
  }

  #forVfsInGroup(group: number, size: number, fn: (port: SimVfPort, bit: number) => void): void {
    for (let bit = 0; bit < size; bit++) {
      const port = this.#ports[group * size + bit];
      if (port !== undefined) fn(port, bit);
    }
  }
}
