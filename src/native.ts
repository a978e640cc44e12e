/**
 * The typed shape of the native addon (`native/*.cc`, built by node-gyp into
 * `build/Release/ixgbevf_vfio.node`, or prebuilt by scripts/prebuild.mjs into `prebuilds/`) and its
 * loader (node-gyp-build). The addon is generic VFIO/PCI: it knows no
 * register of any NIC. Only `src/vfio/` (and tests) use it.
 *
 * Argument rules enforced natively: numbers must be integers (TypeError for non-numbers including
 * BigInt and missing arguments, RangeError for NaN/Infinity/fractions/out of range/unaligned), every
 * method checks its `this` (TypeError when borrowed by another object), and any call on a closed
 * object throws an Error with code `ERR_CLOSED`. OS failures throw Errors shaped like Node's fs
 * errors: `code` (errno name), `errno`, `syscall`, `path`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentError } from './errors.js';

/** An Error thrown by the addon. */
export interface NativeError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
  /** The second name of a two-name call (replaceFileDurably's rename). */
  dest?: string;
}

/**
 * A window of bytes with bounds-checked 32-bit access: a mapped VFIO region (BAR), a region
 * accessed with pread/pwrite when it cannot be mapped (`mapped === false`), or a file (tests).
 */
export interface NativeRegion {
  /** Volatile 32-bit load. `offset`: integer, ≥ 0, 4-byte aligned, `offset + 4 <= size`. */
  read32(offset: number): number;
  /**
   * Volatile 32-bit store. `value`: an integer in [-2^31, 2^32 - 1]; negative values (what JS
   * bitwise operators produce) are stored as their two's complement.
   */
  write32(offset: number, value: number): void;
  /** A read of `offset` whose value is discarded: pushes posted writes out (like IXGBE_WRITE_FLUSH). */
  flush(offset: number): void;
  /** munmap (and close the file, for mapFile regions). Idempotent. */
  close(): void;
  /**
   * The same read32/write32/flush as plain functions bound to this region (no per-call check of
   * `this`: the driver's fast path, ~4× cheaper per call). They keep the region alive; after close()
   * they throw ERR_CLOSED like the methods.
   */
  accessors(): NativeRegionAccessors;
  readonly size: number;
  readonly mapped: boolean;
  readonly closed: boolean;
}

export interface NativeRegionAccessors {
  read32(offset: number): number;
  write32(offset: number, value: number): void;
  flush(offset: number): void;
}

/** `err` is set (and the watcher stopped) when polling or reading the eventfd failed. */
export type WatchCallback = (err: NativeError | null, count: number) => void;

/** A uv_poll on an eventfd, on this environment's own event loop. Ref'd (keeps the loop alive) by default. */
export interface NativeWatcher {
  ref(): this;
  unref(): this;
  hasRef(): boolean;
  /** Stops polling. Idempotent; safe from inside the watcher's own callback. */
  close(): void;
  readonly closed: boolean;
}

/** A non-blocking close-on-exec eventfd (from `createEventFd()`, or one per interrupt vector of a device). */
export interface NativeEventFd {
  /** Adds `count` (default 1) to the counter, waking a watcher. */
  signal(count?: number): void;
  /** Watches the eventfd; one live watcher per eventfd (else ERR_ALREADY_WATCHED). */
  watch(callback: WatchCallback): NativeWatcher;
  /** Stops its watcher, closes the fd. Idempotent. */
  close(): void;
  readonly fd: number;
  readonly closed: boolean;
}

export interface NativeRegionInfo {
  index: number;
  size: number;
  offset: number;
  flags: number;
  readable: boolean;
  writable: boolean;
  mmap: boolean;
  msixMappable: boolean;
  sparseMmap: { offset: number; size: number }[];
}

export interface NativeIrqInfo {
  index: number;
  count: number;
  flags: number;
  eventfd: boolean;
  maskable: boolean;
  automasked: boolean;
  noresize: boolean;
}

export interface NativeDeviceInfo {
  bdf: string;
  groupId: number;
  groupPath: string;
  noiommu: boolean;
  iommuType: 'type1v2' | 'type1' | 'noiommu';
  numRegions: number;
  numIrqs: number;
  flags: number;
  resetSupported: boolean;
  pci: boolean;
}

/** An open VFIO device (container + group + device fds). Stays open until `close()` or process exit. */
export interface NativeDevice {
  readonly info: NativeDeviceInfo;
  readonly closed: boolean;
  regionInfo(index: number): NativeRegionInfo;
  /** Maps region `index` (mmap when the region allows it and `mmap !== false`, else pread/pwrite). */
  mapRegion(index: number, options?: { mmap?: boolean }): NativeRegion;
  /** PCI config space through the VFIO config region; width 1, 2 or 4, naturally aligned. */
  configRead(offset: number, width: 1 | 2 | 4): number;
  configWrite(offset: number, width: 1 | 2 | 4, value: number): void;
  irqInfo(index: number): NativeIrqInfo;
  /** VFIO_DEVICE_SET_IRQS with one new eventfd per vector 0..count-1 (replacing any earlier set). */
  enableIrqs(index: number, count: number): NativeEventFd[];
  /** Stops the watchers, disables the index in VFIO (DATA_NONE, count 0), closes its eventfds. */
  disableIrqs(index: number): void;
  /** VFIO_DEVICE_RESET; `{reset: false, code}` when the device cannot be reset (EINVAL/ENOTTY). */
  reset(): { reset: boolean; code?: string };
  /**
   * Idempotent. Order: stop watchers → disable irqs → close eventfds → munmap → close device,
   * group, container. Also run at environment teardown.
   */
  close(): void;
}

export interface OpenDeviceOptions {
  /** Default `/sys`. */
  sysfsRoot?: string;
  /** Default `/dev/vfio` (group nodes `<root>/<N>` or `<root>/noiommu-<N>`, container `<root>/vfio`). */
  devVfioRoot?: string;
  /** VF token (UUID), only needed when the PF itself is bound to vfio-pci. */
  vfToken?: string;
}

export interface VfioConstants {
  VFIO_PCI_BAR0_REGION_INDEX: number;
  VFIO_PCI_CONFIG_REGION_INDEX: number;
  VFIO_PCI_INTX_IRQ_INDEX: number;
  VFIO_PCI_MSI_IRQ_INDEX: number;
  VFIO_PCI_MSIX_IRQ_INDEX: number;
  VFIO_PCI_ERR_IRQ_INDEX: number;
  VFIO_PCI_REQ_IRQ_INDEX: number;
  VFIO_API_VERSION: number;
}

export interface NativeAddon {
  /** A Region over a regular file or memfd (`size` defaults to, and may not exceed, the file size). */
  mapFile(path: string, size?: number, options?: { mmap?: boolean }): NativeRegion;
  createEventFd(): NativeEventFd;
  openDevice(pciAddress: string, options?: OpenDeviceOptions): NativeDevice;
  /** SO_PEERCRED of a connected Unix socket fd (the daemon's access check). */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /**
   * flock(fd, LOCK_EX | LOCK_NB): true when this open file now holds the lock, false when another holds
   * it (never waits). Errno errors (syscall "flock") otherwise. Released with the file's last close.
   */
  lockExclusive(fd: number): boolean;
  /**
   * sd_notify(3): sends `message` (e.g. "READY=1\nSTATUS=2 VFs up") as one datagram to `socket`
   * (default: the process environment's `$NOTIFY_SOCKET`), an absolute path or an abstract "@name".
   * false when there is no socket (not started by a service manager), true when sent. Never blocks:
   * a receiver whose queue is full gives EAGAIN. Errors: TypeError for a non-string or empty message;
   * errno errors with `code`, `errno`, `syscall` ('sd_notify', 'socket' or 'sendmsg') and `path` (the
   * address): EAFNOSUPPORT (neither absolute nor @abstract), EINVAL (too long for sockaddr_un),
   * ENOENT / ECONNREFUSED / EPROTOTYPE / EAGAIN from sendmsg.
   */
  sdNotify(message: string, socket?: string): boolean;
  /**
   * Replaces `finalName` in the directory open as `dirFd` by a new file holding `data`, crash-safely and
   * in one job on libuv's thread pool (one event-loop round trip): openat(dirFd, tempName,
   * O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0600), write every byte, fdatasync, close,
   * renameat(dirFd, tempName, dirFd, finalName), fsync(dirFd). Resolves after the directory fsync.
   * `data` is copied at the call. Rejects (never throws) with: TypeError `ERR_INVALID_ARG_TYPE` /
   * RangeError `ERR_OUT_OF_RANGE` for bad argument types or a negative fd; TypeError
   * `ERR_INVALID_ARG_VALUE` for a name that is not one path component (empty, '.', '..', '/' or NUL
   * in it) or a temp name equal to the final one, before any system call; errno errors with `code`,
   * `errno`, `syscall` ('open', 'write', 'fdatasync', 'close', 'rename', 'fsync'), `path` (the temp
   * name; none for 'fsync') and, for 'rename', `dest`. EEXIST: the temp name exists (a symlink
   * included: never followed). On a failure before the rename the temp file this call created is
   * removed. Absent from addons built before it (and from the non-Linux stub): check before use.
   */
  replaceFileDurably?(dirFd: number, tempName: string, finalName: string, data: Uint8Array): Promise<void>;
  readonly constants: VfioConstants;
  /** false for the non-Linux stub build, whose functions all throw ENOTSUP. */
  readonly platformSupported: boolean;
  /** The classes, for `instanceof`; not constructible from JS (TypeError). */
  readonly Region: abstract new (...args: never[]) => NativeRegion;
  readonly Watcher: abstract new (...args: never[]) => NativeWatcher;
  readonly EventFd: abstract new (...args: never[]) => NativeEventFd;
  readonly Device: abstract new (...args: never[]) => NativeDevice;
}

/** The package root: this file runs from `src/` (tsx) or `dist/` (tsc), both one level below it. */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** node-gyp-build's resolver: build/Release, build/Debug, then the best-matching prebuilds/<platform>-<arch>/ file. */
interface NodeGypBuild {
  path(dir: string): string;
}

/**
 * Where the loader looks, in order: `IXGBEVF_ADDON` (a path to a .node file) when set, then what
 * node-gyp-build resolves under the package root: a source build (build/Release, build/Debug), then the
 * prebuilt binary shipped in the npm tarball (prebuilds/linux-x64/node.napi.glibc.node; one Node-API
 * binary per platform serves every Node version).
 */
export function addonCandidates(): string[] {
  const list: string[] = [];
  const override = process.env['IXGBEVF_ADDON'];
  if (override !== undefined && override !== '') list.push(resolve(override));
  list.push(join(packageRoot, 'build', 'Release', 'ixgbevf_vfio.node'));
  list.push(join(packageRoot, 'build', 'Debug', 'ixgbevf_vfio.node'));
  list.push(join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, 'node.napi.*.node'));
  return list;
}

/**
 * Builds the addon from source in place, whatever npm's install-script policy (npm blocks dependency
 * install scripts unless approved): the package's own install script, run directly.
 */
const REBUILD_HINT = `node ${join(packageRoot, 'scripts', 'build-native.mjs')}   (needs python3, make and g++; in a checkout: npm run build)`;

/** The file to load: the override when set, else node-gyp-build's pick; undefined when nothing matches. */
function resolveAddon(require: NodeRequire): string | undefined {
  const override = process.env['IXGBEVF_ADDON'];
  if (override !== undefined && override !== '') {
    const file = resolve(override);
    return existsSync(file) ? file : undefined;
  }
  try {
    return (require('node-gyp-build') as NodeGypBuild).path(packageRoot);
  } catch {
    return undefined; // "No native build was found for platform=… arch=… libc=…"
  }
}

let cached: NativeAddon | undefined;

/**
 * Loads the addon once per environment (module instance). Throws EnvironmentError `ERR_ADDON_MISSING`
 * listing every place it looked, or `ERR_ADDON_LOAD` when a candidate exists but cannot be loaded.
 */
export function loadNative(): NativeAddon {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const file = resolveAddon(require);
  if (file === undefined) {
    const tried = addonCandidates();
    throw new EnvironmentError('ERR_ADDON_MISSING',
      `the native addon is not built and no prebuilt one matches ${process.platform}-${process.arch}; looked in: ${tried.join(', ')}`, {
        hint: REBUILD_HINT,
        details: { tried },
      });
  }
  try {
    cached = require(file) as NativeAddon;
    return cached;
  } catch (cause) {
    throw new EnvironmentError('ERR_ADDON_LOAD', `the native addon ${file} could not be loaded: ${(cause as Error).message}`, {
      hint: REBUILD_HINT,
      cause,
      details: { path: file },
    });
  }
}

/**
 * Tells the service manager about this service (sd_notify(3)): one datagram to `socket`, by default
 * `process.env.NOTIFY_SOCKET` as this process sees it now. Returns false, without loading the addon,
 * when there is no socket; true when sent. Throws the addon's errno errors (see NativeAddon.sdNotify).
 */
export function sdNotify(message: string, socket: string | undefined = process.env['NOTIFY_SOCKET']): boolean {
  if (socket === undefined || socket === '') return false;
  return loadNative().sdNotify(message, socket);
}

/** True when `err` looks like an Error thrown by the addon (a string `code`). */
export function isNativeError(err: unknown): err is NativeError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}
