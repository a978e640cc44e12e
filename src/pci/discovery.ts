/**
 * Discovery over sysfs: PCI devices and their IDs, bound driver and `driver_override`, SR-IOV PFs
 * (`sriov_totalvfs`, `sriov_numvfs`, `sriov_drivers_autoprobe`, `virtfnN`), a VF's PF (`physfn`) and index,
 * and a PF's network interfaces (`<dev>/net/*`) with their state. IDs are reported raw; callers classify.
 */
import path from 'node:path';
import { EnvironmentError, isIxgbevfError, showValue } from '../errors.js';
import { formatPciAddress, parsePciAddress, splitPciAddress, type PciAddress } from './address.js';
import { readIommuGroup } from './iommu.js';
import {
  exists,
  listDir,
  readAttr,
  readHexAttr,
  readIntAttr,
  parseHexText,
  readLinkTarget,
  resolveSysfs,
  sysfsReadError,
  sysPaths,
  type ResolvedSysfs,
  type SysfsOptions,
} from './sysfs.js';

export interface PciIds {
  vendor: number;
  device: number;
  subsystemVendor: number | null;
  subsystemDevice: number | null;
  /** The 24-bit class code (0x020000 Ethernet, 0x060400 PCI bridge). */
  classCode: number | null;
}

export interface SriovVf {
  index: number;
  address: PciAddress;
}

export interface SriovInfo {
  /** `sriov_totalvfs`; null when the file is there but does not hold a count. */
  totalVfs: number | null;
  /** `sriov_numvfs`; null when it does not hold a count. */
  numVfs: number | null;
  /** `sriov_drivers_autoprobe`: whether new VFs get probed by their native driver (ixgbevf). */
  driversAutoprobe: boolean | null;
  vfs: SriovVf[];
  /** `virtfnN` links that do not name a PCI device (dangling names are in `vfs`: reading them says so). */
  badLinks: BadLink[];
}

/** A link whose target is not what the kernel puts there. */
export interface BadLink {
  link: string;
  /** The target, quoted and shortened for messages. */
  target: string;
  reason: string;
}

export interface NetdevState {
  ifname: string;
  /** `/sys/class/net/<if>/operstate`: `up`, `down`, `lowerlayerdown`, `unknown`, … */
  operstate: string | null;
  /** `flags` & IFF_UP: administratively up (`ip link set <if> up`). */
  adminUp: boolean | null;
  /** Raw `flags` (IFF_*). */
  flags: number | null;
}

export interface PciDeviceInfo extends PciIds {
  address: PciAddress;
  /** Bound driver (`driver` link basename), or null when unbound. */
  driver: string | null;
  /**
   * `driver_override`, or null when empty / absent (the kernel shows `(null)`). Text that is not a driver
   * name is given quoted and shortened (`"zz\u001b[31m"`), for messages only.
   */
  driverOverride: string | null;
  iommuGroup: number | null;
  /** For a VF: its PF and its index in the PF's `virtfnN` links. */
  physfn: PciAddress | null;
  vfIndex: number | null;
  /** For an SR-IOV capable PF. */
  sriov: SriovInfo | null;
  /** Network interfaces of this device (`<dev>/net/*`). */
  netdevs: string[];
}

const IFF_UP = 0x1;

export async function listPciDevices(opts: SysfsOptions = {}): Promise<PciAddress[]> {
  const s = resolveSysfs(opts);
  return (await listDir(sysPaths.pciDevices(s))).filter(isCanonicalAddress);
}

/** A name as the kernel spells a PCI address (`0000:01:10.0`): what `bus/pci/devices`, `physfn`, `virtfnN` hold. */
export function isCanonicalAddress(name: string): name is PciAddress {
  const parts = splitPciAddress(name);
  return parts !== undefined && formatPciAddress(parts) === name;
}

/** Kernel driver names as bind/unbind accept them (and as `--from`/`--driver` are checked). */
export const DRIVER_NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function isDriverName(name: string): boolean {
  return DRIVER_NAME_RE.test(name) && name !== '.' && name !== '..';
}

/** An interface name the kernel accepts (dev_valid_name): 1–15 bytes, not . or .., no '/', ':' or whitespace. */
export function isInterfaceName(name: string): boolean {
  return /^[^/:\s]{1,15}$/.test(name) && Buffer.byteLength(name) <= 15 && name !== '.' && name !== '..' && !/[\u0000-\u001f\u007f]/.test(name);
}

export async function pciDeviceExists(address: string, opts: SysfsOptions = {}): Promise<boolean> {
  return exists(sysPaths.pciDevice(resolveSysfs(opts), parsePciAddress(address)));
}

/** The device's sysfs directory (under IXGBEVF_SYSFS_ROOT when one is given) is named as it was looked for. */
function notFound(address: string, dir: string): EnvironmentError {
  return new EnvironmentError('ERR_DEVICE_NOT_FOUND', `no PCI device ${address} (${dir} does not exist)`, {
    hint: 'ixgbevf list',
    details: { address },
  });
}

/** Throws `ERR_DEVICE_NOT_FOUND` (exit 3, hint `ixgbevf list`) when the device is absent. */
export async function requirePciDevice(address: string, opts: SysfsOptions = {}): Promise<PciAddress> {
  const addr = parsePciAddress(address);
  const dir = sysPaths.pciDevice(resolveSysfs(opts), addr);
  if (!(await exists(dir))) throw notFound(addr, dir);
  return addr;
}

/** A required ID attribute: absent or not a PCI ID of `bits` bits is ERR_SYSFS_READ naming the file and what it holds. */
async function readIdAttr(dir: string, name: string, bits: number): Promise<number> {
  const file = path.join(dir, name);
  const text = await readAttr(file);
  if (text === undefined) throw sysfsReadError(file, 'missing (every PCI device has one)');
  const n = parseHexText(text, bits);
  if (n === undefined) throw sysfsReadError(file, `it holds ${showValue(text)}, not a ${bits}-bit PCI ID`);
  return n;
}

/** An optional ID attribute: null when absent or not hex of `bits` bits. */
async function readOptionalId(dir: string, name: string, bits: number): Promise<number | null> {
  return (await readHexAttr(path.join(dir, name), bits)) ?? null;
}

export async function readPciIds(address: PciAddress, opts: SysfsOptions = {}): Promise<PciIds> {
  const dir = sysPaths.pciDevice(resolveSysfs(opts), address);
  return {
    vendor: await readIdAttr(dir, 'vendor', 16),
    device: await readIdAttr(dir, 'device', 16),
    subsystemVendor: await readOptionalId(dir, 'subsystem_vendor', 16),
    subsystemDevice: await readOptionalId(dir, 'subsystem_device', 16),
    classCode: await readOptionalId(dir, 'class', 24),
  };
}

/** The bound driver (`driver` link basename); null when unbound. A link to something that is not a driver name is ERR_SYSFS_READ. */
export async function readDriver(address: PciAddress, opts: SysfsOptions = {}): Promise<string | null> {
  const link = path.join(sysPaths.pciDevice(resolveSysfs(opts), address), 'driver');
  const target = await readLinkTarget(link);
  if (target === undefined) return null;
  const name = path.basename(target);
  if (!isDriverName(name)) throw sysfsReadError(link, `it points to ${showValue(target)}, not to a PCI driver`);
  return name;
}

export async function readDriverOverride(address: PciAddress, opts: SysfsOptions = {}): Promise<string | null> {
  const text = await readAttr(path.join(sysPaths.pciDevice(resolveSysfs(opts), address), 'driver_override'));
  if (text === undefined || text === '' || text === '(null)') return null;
  return isDriverName(text) ? text : showValue(text, 32);
}

/**
 * The SR-IOV state of a PF, or null when the device has no SR-IOV capability. A device with a
 * `sriov_totalvfs` file, or with `virtfnN` links, is a PF even when the counts do not parse.
 */
export async function readSriov(address: PciAddress, opts: SysfsOptions = {}): Promise<SriovInfo | null> {
  const dir = sysPaths.pciDevice(resolveSysfs(opts), address);
  // Present but unreadable (a FIFO, 1 MB of text) still makes the device a PF: its count is then unknown.
  const tolerant = (file: string): Promise<string | undefined> => readAttr(path.join(dir, file)).catch((err: unknown) => {
    if (err instanceof EnvironmentError && err.code === 'ERR_SYSFS_READ') return '?';
    throw err;
  });
  const totalText = await tolerant('sriov_totalvfs');
  const { vfs, badLinks } = await listVfsIn(dir);
  if (totalText === undefined && vfs.length === 0 && badLinks.length === 0) return null;
  const autoprobe = await readIntAttr(path.join(dir, 'sriov_drivers_autoprobe'));
  const count = (t: string | undefined): number | null => (t !== undefined && /^\d{1,5}$/.test(t) ? parseInt(t, 10) : null);
  return {
    totalVfs: count(totalText),
    numVfs: count(await tolerant('sriov_numvfs')),
    driversAutoprobe: autoprobe === undefined ? null : autoprobe !== 0,
    vfs,
    badLinks,
  };
}

async function listVfsIn(dir: string): Promise<{ vfs: SriovVf[]; badLinks: BadLink[] }> {
  const vfs: SriovVf[] = [];
  const badLinks: BadLink[] = [];
  for (const name of await listDir(dir)) {
    const m = /^virtfn(\d+)$/.exec(name);
    if (m === null) continue;
    const link = path.join(dir, name);
    const target = await readLinkTarget(link);
    if (target === undefined) {
      badLinks.push({ link, target: '', reason: `${name} is not a symlink` });
      continue;
    }
    const base = path.basename(target);
    if (m[1]!.length > 5) badLinks.push({ link, target: showValue(target), reason: `${name}: not a VF index` });
    else if (!isCanonicalAddress(base)) badLinks.push({ link, target: showValue(target), reason: `${name} points to ${showValue(target)}, not to a PCI device` });
    else vfs.push({ index: parseInt(m[1]!, 10), address: base });
  }
  return { vfs: vfs.sort((a, b) => a.index - b.index), badLinks };
}

/** A PF's VFs in index order (`virtfn0`, `virtfn1`, …). */
export async function listVfs(pf: string, opts: SysfsOptions = {}): Promise<SriovVf[]> {
  return (await listVfsIn(sysPaths.pciDevice(resolveSysfs(opts), parsePciAddress(pf)))).vfs;
}

/**
 * A VF's PF and its index among the PF's VFs; null when the device is not a VF. A `physfn` link that does
 * not name a PCI device is ERR_SYSFS_READ.
 */
export async function readPhysfn(vf: string, opts: SysfsOptions = {}, known?: SriovVf & { pf: PciAddress }): Promise<{ pf: PciAddress; vfIndex: number | null } | null> {
  const s = resolveSysfs(opts);
  const addr = parsePciAddress(vf);
  const link = path.join(sysPaths.pciDevice(s, addr), 'physfn');
  const target = await readLinkTarget(link);
  if (target === undefined) return null;
  const pf = path.basename(target);
  if (!isCanonicalAddress(pf)) throw sysfsReadError(link, `it points to ${showValue(target)}, not to a PCI device`);
  // Found through the PF's own virtfnN link: that is its index (no need to read every virtfn link again).
  if (known !== undefined && known.pf === pf && known.address === addr) return { pf, vfIndex: known.index };
  const entry = (await listVfsIn(sysPaths.pciDevice(s, pf))).vfs.find((v) => v.address === addr);
  return { pf, vfIndex: entry?.index ?? null };
}

/** Network interface names of a device (`<dev>/net/*`). */
export async function listNetdevs(address: PciAddress, opts: SysfsOptions = {}): Promise<string[]> {
  const dir = path.join(sysPaths.pciDevice(resolveSysfs(opts), address), 'net');
  const names = await listDir(dir);
  const bad = names.find((n) => !isInterfaceName(n));
  if (bad !== undefined) throw sysfsReadError(dir, `it holds ${showValue(bad)}, not a network interface name`);
  return names;
}

export async function readNetdevState(ifname: string, opts: SysfsOptions = {}): Promise<NetdevState> {
  const s: ResolvedSysfs = resolveSysfs(opts);
  const dir = sysPaths.classNet(s, ifname);
  const flags = (await readHexAttr(path.join(dir, 'flags'), 32)) ?? null;
  return {
    ifname,
    operstate: (await readAttr(path.join(dir, 'operstate'))) ?? null,
    adminUp: flags === null ? null : (flags & IFF_UP) !== 0,
    flags,
  };
}

/**
 * Everything sysfs says about one device. Throws `ERR_DEVICE_NOT_FOUND` when it does not exist. `foundAs`:
 * the PF's virtfnN link the device was found through (its index when its physfn is that PF).
 */
export async function readPciDevice(address: string, opts: SysfsOptions = {}, foundAs?: SriovVf & { pf: PciAddress }): Promise<PciDeviceInfo> {
  const addr = await requirePciDevice(address, opts);
  const phys = await readPhysfn(addr, opts, foundAs);
  return {
    address: addr,
    ...(await readPciIds(addr, opts)),
    driver: await readDriver(addr, opts),
    driverOverride: await readDriverOverride(addr, opts),
    iommuGroup: await readIommuGroup(addr, opts),
    physfn: phys?.pf ?? null,
    vfIndex: phys?.vfIndex ?? null,
    sriov: await readSriov(addr, opts),
    netdevs: await listNetdevs(addr, opts),
  };
}

/** A device or link `list` / `doctor` could not read: reported in its place, the others still listed. */
export interface EntryProblem {
  /** The device, when the entry names one. */
  address: string | null;
  /** The `virtfnN` link it was found through, for a VF. */
  link: string | null;
  code: string;
  message: string;
}

export function problemOf(err: unknown, address: string | null, link: string | null = null): EntryProblem {
  if (isIxgbevfError(err)) return { address, link, code: err.code, message: err.message };
  throw err; // not a typed error: a bug, reported as one
}

/** Every SR-IOV capable PF (a device with `sriov_totalvfs`), with its VFs, and the devices that could not be read. */
export async function scanSriovPfs(opts: SysfsOptions = {}): Promise<{ pfs: PciDeviceInfo[]; problems: EntryProblem[] }> {
  const s = resolveSysfs(opts);
  const pfs: PciDeviceInfo[] = [];
  const problems: EntryProblem[] = [];
  for (const addr of await listPciDevices(opts)) {
    try {
      if (await exists(path.join(sysPaths.pciDevice(s, addr), 'sriov_totalvfs'))) pfs.push(await readPciDevice(addr, opts));
    } catch (err) {
      problems.push(problemOf(err, addr));
    }
  }
  return { pfs, problems };
}

/** Every SR-IOV capable PF (a device with `sriov_totalvfs`), with its VFs. Throws on the first that cannot be read. */
export async function listSriovPfs(opts: SysfsOptions = {}): Promise<PciDeviceInfo[]> {
  const { pfs, problems } = await scanSriovPfs(opts);
  if (problems[0] !== undefined) await readPciDevice(problems[0].address!, opts); // throws its error
  return pfs;
}
