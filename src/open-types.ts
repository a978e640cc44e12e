/**
 * The contract of `openVf()` (src/open.ts): one entry point that turns a VF spec — a PCI address or
 * `sim[:k=v,...]` — into a ready-to-use `VfApi` plus the device that backs it.
 */
import type { FamilyDescriptor } from './hw/family.js';
import type { VfApi } from './vf/types.js';

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
  /** Releases the VF. For VFIO this resets the VF (vfio-pci FLR on release): the PF drops its filters. */
  close(): Promise<void>;
}
