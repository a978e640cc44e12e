/**
 * What `new Vf(…)` takes (`VfOptions`: the device seam, the family, the mailbox budgets, interrupt or poll
 * mode, and what hints need to name the PF) and what `checkPfEvents()` returns (`PfEventCheck`).
 */
import type { FamilyDescriptor } from '../hw/family.js';
import type { Clock, IrqSource, RegisterIo } from '../io.js';
import type { MailboxTraceHook } from '../mbx/trace.js';

export interface VfOptions {
  readonly regs: RegisterIo;
  readonly irqs: IrqSource;
  readonly family: FamilyDescriptor;
  readonly clock?: Clock;
  /** Budget of each mailbox wait, ms (default MBX_TIMEOUT_MS = 2000 × 500 µs; the CLI's --timeout). */
  readonly timeoutMs?: number;
  /**
   * Timer interval between mailbox checks when no interrupt comes, ms. Default: interrupt mode 10
   * (MBX_IRQ_FALLBACK_POLL_MS, a safety net: the interrupt wakes the wait), poll mode 0.5 (→ ~1 ms in Node).
   */
  readonly pollIntervalMs?: number;
  /** Budget for RSTI to clear after VFCTRL.RST, ms (default VF_RESET_RSTI_TIMEOUT_MS). */
  readonly resetTimeoutMs?: number;
  /**
   * Interrupt mode (default true): program the mailbox vector after each reset, wake mailbox waits on
   * interrupts, and check the mailbox on every interrupt (events). false = poll mode: nothing is
   * programmed or subscribed; call checkPfEvents() periodically.
   */
  readonly interrupts?: boolean;
  readonly onTrace?: MailboxTraceHook;
  /** The PF's netdev name, to fill in hints (`ip link set <pf> …`). */
  readonly pfName?: string;
  /**
   * The VF is the simulated one (`sim:`): hints name the sim spec key that models a PF setting instead of
   * an `ip link` command for a PF netdev that does not exist (see nack.ts). Default false.
   */
  readonly simulated?: boolean;
  /** The VF index on its PF, to fill in hints (`… vf <n> …`). */
  readonly vfIndex?: number;
}

/** Result of checkPfEvents(). */
export interface PfEventCheck {
  /** RSTI/RSTD was seen, or a PF word said the VF lost clear-to-send. */
  pfReset: boolean;
  /** Unsolicited PF words read (and ACKed). */
  messages: number[];
}
