/**
 * The contract of `openVf()` (src/open/open-vf.ts): one entry point that turns a VF spec — a PCI address or
 * `sim[:k=v,...]` — into a ready-to-use `VfApi` plus the device that backs it.
 */
import type { FamilyDescriptor } from '../hw/family.js';
import type { RegisterIo } from '../io.js';
import type { VfApi } from '../vf/types.js';

export interface MailboxTraceEvent {
  direction: 'vf-to-pf' | 'pf-to-vf';
  words: readonly number[];
}

export interface OpenOptions {
  /** Mailbox wait budget in ms (default 2000 × 500 µs = 1000 ms, as Linux). */
  timeoutMs?: number;
  /** No interrupts: poll the mailbox register with short timers. */
  poll?: boolean;
  /** Called with every mailbox message (for `--verbose`). */
  onTrace?: (event: MailboxTraceEvent) => void;
  /** sysfs root (tests). */
  sysfsRoot?: string;
}

export interface VfHandle {
  /** 'sim' specs keep their text; PCI addresses are normalised (`0000:03:10.0`). */
  readonly id: string;
  readonly kind: 'sim' | 'vfio';
  readonly family: FamilyDescriptor;
  /** The PF netdev and this VF's index on it, when known (for hints like `ip link set <pf> vf <n> …`). */
  readonly pfName: string | null;
  readonly vfIndex: number | null;
  readonly vf: VfApi;
  /**
   * The kernel asks for the device back (unbind, `sriov_numvfs=0`): close promptly. Never fires for sim.
   */
  onReleaseRequested(listener: () => void): () => void;
  /** Let the process exit while the handle is open (interrupt watchers unref'd) / keep it alive. */
  unref(): void;
  ref(): void;
  /**
   * The VF's BAR0 registers, for debugging (`ixgbevf mailbox --dump`). Optional. Reading the mailbox
   * register here bypasses the driver's read-to-clear shadow: only use it on a VF nobody else drives.
   */
  readonly regs?: RegisterIo;
  /** sim only: the simulated PF's admin knobs (CLI/daemon tests, the daemon's `sim` socket op). */
  readonly sim?: SimPfControl;
  /** Releases the VF. For VFIO this resets the VF (vfio-pci FLR on release): the PF drops its filters. */
  close(): Promise<void>;
}

/** The PF's view of a simulated VF, as `ip -d link show <pf>` would print it. */
export interface SimVfView {
  /** The MAC the PF holds for the VF (admin MAC, or the one the VF set), null when none. */
  mac: string | null;
  trust: boolean;
  /** PF interface up (not holding the VF in reset). */
  pfUp: boolean;
  /** The PF's driver answers the mailbox (false: started with `pf=silent`). */
  pfAnswers: boolean;
  [key: string]: unknown;
}

/** Admin actions on the simulated PF (what `ip link set <pf> …` does on a host). */
export interface SimPfControl {
  /** `ip link set <pf> down`: CTS cleared, ping 0x100 to the VF, RSTI held until interfaceUp(). */
  interfaceDown(): void | Promise<void>;
  /** `ip link set <pf> up`: PFRSTD (RSTI → RSTD), ping 0x100. */
  interfaceUp(): void | Promise<void>;
  /** `ip link set <pf> vf N trust on|off` (ping without CTS when it changes). */
  setTrust(on: boolean): void | Promise<void>;
  /** `ip link set <pf> vf N mac M`; null clears it. No notification to the VF (as ixgbe). */
  setAdminMac(mac: string | null): void | Promise<void>;
  vfInfo(): SimVfView;
}
