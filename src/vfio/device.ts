/**
 * VfioDevice: one PCI function opened through VFIO by the native addon. BAR0 as a `RegisterIo`
 * (`regs`), every MSI-X vector fanned into one `IrqSource` (`irqs`), config space helpers, bus
 * mastering, reset, and the kernel's "give the device back" request as a `release-requested` event.
 * Nothing here knows a register of any NIC.
 */
import { EventEmitter } from 'node:events';
import { DeviceGoneError, EnvironmentError, InvalidArgumentError } from '../errors.js';
import { IrqEmitter, noIrqs, type IrqSource, type RegisterIo } from '../io.js';
import { loadNative, type NativeAddon, type NativeDevice, type NativeDeviceInfo, type NativeRegion, type NativeWatcher } from '../native.js';
import { parsePciAddress, type PciAddress } from '../pci/address.js';
import { mapOpenError } from './errors.js';

/** PCI config space: the command register and its bits (generic PCI, not NIC specific). */
export const PCI_COMMAND = 0x04;
export const PCI_COMMAND_MEMORY = 0x2;
export const PCI_COMMAND_MASTER = 0x4;

export interface VfioOpenOptions {
  /** Default `/sys`. */
  sysfsRoot?: string;
  /** Default `/dev/vfio`. */
  devVfioRoot?: string;
  /** Default `/proc` (used to name the process holding a busy group). */
  procRoot?: string;
  /** VF token, only when the PF is bound to vfio-pci. */
  vfToken?: string;
  /** false = poll mode: no MSI-X, `irqs` never fires. Default true. */
  interrupts?: boolean;
  /** MSI-X vectors to enable; default all the device has. */
  vectors?: number;
  /** Map BAR0 with mmap when possible (default true); false forces pread/pwrite. */
  mmap?: boolean;
  /** Listen to the VFIO request notifier (default true, when the kernel offers it). */
  releaseNotifier?: boolean;
  /** The native addon (tests inject a fake); default `loadNative()`. */
  addon?: NativeAddon;
}

/** BAR0 as the mailbox layer sees it, plus what a driver needs around it. */
export interface Bar extends RegisterIo {
  /** Read `offset` and discard the value (push posted writes out). */
  flush(offset: number): void;
  readonly size: number;
  /** false when BAR0 could not be mmap'ed and accesses go through pread/pwrite. */
  readonly mapped: boolean;
}

export interface ConfigSpace {
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
  write8(offset: number, value: number): void;
  write16(offset: number, value: number): void;
  write32(offset: number, value: number): void;
}

export interface VfioDeviceEvents {
  'release-requested': [];
  'irq-error': [Error];
  close: [];
}

/**
 * The devices this process has open, per addon (tests inject their own) and `/dev/vfio` root. VFIO hands
 * an IOMMU group to one open at a time: a second open of the same device in this process would meet EBUSY
 * from our own first open, which the busy error (pointing at another process) would misreport.
 */
const openInThisProcess = new WeakMap<NativeAddon, Set<string>>();

function openSetOf(addon: NativeAddon): Set<string> {
  let set = openInThisProcess.get(addon);
  if (set === undefined) {
    set = new Set();
    openInThisProcess.set(addon, set);
  }
  return set;
}

export class VfioDevice extends EventEmitter<VfioDeviceEvents> {
  readonly address: PciAddress;
  readonly info: NativeDeviceInfo;
  readonly regs: Bar;
  readonly irqs: IrqSource;
  readonly config: ConfigSpace;
  /** Number of MSI-X vectors enabled (0 in poll mode). */
  readonly vectors: number;
  readonly #native: NativeDevice;
  readonly #bar: NativeRegion;
  readonly #watchers: NativeWatcher[] = [];
  readonly #emitter = new IrqEmitter();
  #closed = false;
  #refed = true;
  /** Takes this device off the process's open list (set by open()). */
  #forget: (() => void) | null = null;

  /**
   * Opens `pciAddress` (`DDDD:BB:DD.F` or `BB:DD.F`). Throws InvalidArgumentError
   * `ERR_INVALID_PCI_ADDRESS` (exit 2) or EnvironmentError (`ERR_NO_DEVICE`, `ERR_NO_IOMMU_GROUP`,
   * `ERR_NOT_BOUND_VFIO`, `ERR_PERMISSION`, `ERR_DEVICE_BUSY`, `ERR_GROUP_NOT_VIABLE`,
   * `ERR_VFIO_DEVICE_FD`, `ERR_NO_VFIO`, `ERR_VFIO`, `ERR_ALREADY_OPEN` when this process has it open
   * already, exit 3).
   */
  static async open(pciAddress: string, opts: VfioOpenOptions = {}): Promise<VfioDevice> {
    const address = parsePciAddress(pciAddress);
    if (opts.vectors !== undefined && (!Number.isInteger(opts.vectors) || opts.vectors < 1 || opts.vectors > 2048)) {
      throw new InvalidArgumentError('ERR_INVALID_VECTORS', `invalid number of MSI-X vectors ${String(opts.vectors)}: expected 1..2048`);
    }
    const addon = opts.addon ?? loadNative();
    const sysfsRoot = opts.sysfsRoot ?? '/sys';
    const devVfioRoot = opts.devVfioRoot ?? '/dev/vfio';
    const open = openSetOf(addon);
    const key = `${devVfioRoot}\0${address}`;
    if (open.has(key)) {
      throw new EnvironmentError('ERR_ALREADY_OPEN', `${address} is already open in this process: an earlier open of it has not been closed (VFIO gives a device to one open at a time)`, {
        hint: 'close the earlier handle first (await handle.close()), or keep using it',
        details: { address },
      });
    }
    let native: NativeDevice;
    try {
      native = addon.openDevice(address, {
        sysfsRoot,
        devVfioRoot,
        ...(opts.vfToken === undefined ? {} : { vfToken: opts.vfToken }),
      });
    } catch (err) {
      const ctx = { address, sysfsRoot, devVfioRoot, ...(opts.procRoot === undefined ? {} : { procRoot: opts.procRoot }) };
      throw await mapOpenError(err, ctx);
    }
    try {
      const device = new VfioDevice(address, addon, native, opts);
      open.add(key);
      device.#forget = () => open.delete(key);
      return device;
    } catch (err) {
      native.close();
      throw err;
    }
  }

  private constructor(address: PciAddress, addon: NativeAddon, native: NativeDevice, opts: VfioOpenOptions) {
    super();
    const k = addon.constants;
    this.address = address;
    this.#native = native;
    this.info = native.info;
    this.#bar = native.mapRegion(k.VFIO_PCI_BAR0_REGION_INDEX, { mmap: opts.mmap !== false });
    const bar = this.#bar;
    const io = bar.accessors();
    const gone = (what: string): never => {
      throw closedError(what, address);
    };
    this.regs = {
      read32: (offset) => (this.#closed ? gone('read32') : io.read32(offset)),
      write32: (offset, value) => (this.#closed ? gone('write32') : io.write32(offset, value)),
      flush: (offset) => (this.#closed ? gone('flush') : io.flush(offset)),
      get size() {
        return bar.size;
      },
      get mapped() {
        return bar.mapped;
      },
    };
    const cfgRead = (w: 1 | 2 | 4) => (offset: number): number =>
      this.#closed ? gone('config read') : native.configRead(offset, w);
    const cfgWrite = (w: 1 | 2 | 4) => (offset: number, value: number): void =>
      this.#closed ? gone('config write') : native.configWrite(offset, w, value);
    this.config = {
      read8: cfgRead(1), read16: cfgRead(2), read32: cfgRead(4),
      write8: cfgWrite(1), write16: cfgWrite(2), write32: cfgWrite(4),
    };

    let vectors = 0;
    if (opts.interrupts !== false) {
      const available = native.irqInfo(k.VFIO_PCI_MSIX_IRQ_INDEX).count;
      if (opts.vectors !== undefined && opts.vectors > available) {
        throw new InvalidArgumentError('ERR_INVALID_VECTORS', `${address} has ${available} MSI-X vectors, ${opts.vectors} requested`);
      }
      vectors = opts.vectors ?? available;
      if (vectors > 0) {
        // MSI-X messages are DMA writes: without bus mastering none is ever delivered.
        this.enableBusMaster();
        const fds = native.enableIrqs(k.VFIO_PCI_MSIX_IRQ_INDEX, vectors);
        for (const efd of fds) {
          this.#watchers.push(efd.watch((err, count) => {
            if (err !== null) this.#irqError(err);
            else if (count > 0) this.#emitter.fire(count);
          }));
        }
      }
    }
    this.vectors = vectors;
    this.irqs = vectors > 0 ? this.#emitter : noIrqs;

    if (opts.releaseNotifier !== false) this.#enableReleaseNotifier(addon);
  }

  #enableReleaseNotifier(addon: NativeAddon): void {
    const index = addon.constants.VFIO_PCI_REQ_IRQ_INDEX;
    try {
      if (this.#native.irqInfo(index).count < 1) return;
      const [efd] = this.#native.enableIrqs(index, 1);
      if (efd === undefined) return;
      this.#watchers.push(efd.watch((err) => {
        if (err !== null) this.#irqError(err);
        else this.emit('release-requested');
      }));
    } catch {
      // Older kernels or devices without a request notifier: the event simply never fires.
    }
  }

  #irqError(err: Error): void {
    if (this.listenerCount('irq-error') > 0) this.emit('irq-error', err);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sets PCI_COMMAND.MEMORY and .MASTER in config space (MSI-X needs bus mastering). */
  enableBusMaster(): { before: number; after: number } {
    const before = this.config.read16(PCI_COMMAND);
    const after = before | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    if (after !== before) this.config.write16(PCI_COMMAND, after);
    return { before, after };
  }

  /** VFIO_DEVICE_RESET (a function-level reset). `{reset: false}` when the device cannot be reset. */
  reset(): { reset: boolean; code?: string } {
    if (this.#closed) throw closedError('reset', this.address);
    return this.#native.reset();
  }

  /** Subscribes to the kernel asking for the device back; returns the unsubscribe function. */
  onReleaseRequested(listener: () => void): () => void {
    this.on('release-requested', listener);
    return () => {
      this.off('release-requested', listener);
    };
  }

  /** Let the interrupt watchers keep the process alive (the default). */
  ref(): this {
    this.#refed = true;
    for (const w of this.#watchers) w.ref();
    return this;
  }

  /** Let the process exit even while interrupts are enabled (like `timer.unref()`). */
  unref(): this {
    this.#refed = false;
    for (const w of this.#watchers) w.unref();
    return this;
  }

  hasRef(): boolean {
    return this.#refed && !this.#closed && this.#watchers.length > 0;
  }

  /** Releases the device (vfio-pci then resets it). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
    this.#forget?.();
    this.#forget = null;
    this.#watchers.length = 0;
    this.emit('close');
  }
}

/** A call on a closed device: ERR_CLOSED with the way back, as the VF layer's (mbx/failures.ts). */
function closedError(what: string, address: string): DeviceGoneError {
  return new DeviceGoneError('ERR_CLOSED', `${what}: VFIO device ${address} is closed`, { hint: 'open the VF again (openVf) to use it' });
}
