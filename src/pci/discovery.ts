/**
 * Discovery over sysfs: PCI devices and their IDs, bound driver and `driver_override`, SR-IOV PFs
 * (`sriov_totalvfs`, `sriov_numvfs`, `sriov_drivers_autoprobe`, `virtfnN`), a VF's PF (`physfn`) and index,
 * and a PF's network interfaces (`<dev>/net/*`) with their state. IDs are reported raw; callers classify.
 */
import path from 'node:path';
import { EnvironmentError } from '../errors.js';
import { parsePciAddress, type PciAddress } from './address.js';
import { readIommuGroup } from './iommu.js';
import {
  exists,
  listDir,
  readAttr,
  readHexAttr,
  readIntAttr,
  readLinkBase,
  resolveSysfs,
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
  totalVfs: number;
  numVfs: number;
  /** `sriov_drivers_autoprobe`: whether new VFs get probed by their native driver (ixgbevf). */
  driversAutoprobe: boolean | null;
  vfs: SriovVf[];
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
  /** `driver_override`, or null when empty / absent (the kernel shows `(null)`). */
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
  return (await listDir(sysPaths.pciDevices(s))).filter((name) => /^[0-9a-f]+:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(name));
}

export async function pciDeviceExists(address: string, opts: SysfsOptions = {}): Promise<boolean> {
  return exists(sysPaths.pciDevice(resolveSysfs(opts), parsePciAddress(address)));
}

function notFound(address: string): EnvironmentError {
  return new EnvironmentError('ERR_DEVICE_NOT_FOUND', `no PCI device ${address} (/sys/bus/pci/devices/${address} does not exist)`, {
    hint: 'ixgbevf list',
    details: { address },
  });
}

/** Throws `ERR_DEVICE_NOT_FOUND` (exit 3, hint `ixgbevf list`) when the device is absent. */
export async function requirePciDevice(address: string, opts: SysfsOptions = {}): Promise<PciAddress> {
  const addr = parsePciAddress(address);
  if (!(await exists(sysPaths.pciDevice(resolveSysfs(opts), addr)))) throw notFound(addr);
  return addr;
}

export async function readPciIds(address: PciAddress, opts: SysfsOptions = {}): Promise<PciIds> {
  const dir = sysPaths.pciDevice(resolveSysfs(opts), address);
  const vendor = await readHexAttr(path.join(dir, 'vendor'));
  const device = await readHexAttr(path.join(dir, 'device'));
  if (vendor === undefined || device === undefined) throw notFound(address);
  return {
    vendor,
    device,
    subsystemVendor: (await readHexAttr(path.join(dir, 'subsystem_vendor'))) ?? null,
    subsystemDevice: (await readHexAttr(path.join(dir, 'subsystem_device'))) ?? null,
    classCode: (await readHexAttr(path.join(dir, 'class'))) ?? null,
  };
}

export async function readDriver(address: PciAddress, opts: SysfsOptions = {}): Promise<string | null> {
  return (await readLinkBase(path.join(sysPaths.pciDevice(resolveSysfs(opts), address), 'driver'))) ?? null;
}

export async function readDriverOverride(address: PciAddress, opts: SysfsOptions = {}): Promise<string | null> {
  const text = await readAttr(path.join(sysPaths.pciDevice(resolveSysfs(opts), address), 'driver_override'));
  return text === undefined || text === '' || text === '(null)' ? null : text;
}

/** The SR-IOV state of a PF, or null when the device has no SR-IOV capability. */
export async function readSriov(address: PciAddress, opts: SysfsOptions = {}): Promise<SriovInfo | null> {
  const dir = sysPaths.pciDevice(resolveSysfs(opts), address);
  const totalVfs = await readIntAttr(path.join(dir, 'sriov_totalvfs'));
  if (totalVfs === undefined) return null;
  const autoprobe = await readIntAttr(path.join(dir, 'sriov_drivers_autoprobe'));
  return {
    totalVfs,
    numVfs: (await readIntAttr(path.join(dir, 'sriov_numvfs'))) ?? 0,
    driversAutoprobe: autoprobe === undefined ? null : autoprobe !== 0,
    vfs: await listVfsIn(dir),
  };
}

async function listVfsIn(dir: string): Promise<SriovVf[]> {
  const vfs: SriovVf[] = [];
  for (const name of await listDir(dir)) {
    const m = /^virtfn(\d+)$/.exec(name);
    if (m === null) continue;
    const target = await readLinkBase(path.join(dir, name));
    if (target !== undefined) vfs.push({ index: parseInt(m[1]!, 10), address: target });
  }
  return vfs.sort((a, b) => a.index - b.index);
}

/** A PF's VFs in index order (`virtfn0`, `virtfn1`, …). */
export async function listVfs(pf: string, opts: SysfsOptions = {}): Promise<SriovVf[]> {
  return listVfsIn(sysPaths.pciDevice(resolveSysfs(opts), parsePciAddress(pf)));
}

/** A VF's PF and its index among the PF's VFs; null when the device is not a VF. */
export async function readPhysfn(vf: string, opts: SysfsOptions = {}): Promise<{ pf: PciAddress; vfIndex: number | null } | null> {
  const s = resolveSysfs(opts);
  const addr = parsePciAddress(vf);
  const pf = await readLinkBase(path.join(sysPaths.pciDevice(s, addr), 'physfn'));
  if (pf === undefined) return null;
  const entry = (await listVfsIn(sysPaths.pciDevice(s, pf))).find((v) => v.address === addr);
  return { pf, vfIndex: entry?.index ?? null };
}

/** Network interface names of a device (`<dev>/net/*`). */
export async function listNetdevs(address: PciAddress, opts: SysfsOptions = {}): Promise<string[]> {
  return listDir(path.join(sysPaths.pciDevice(resolveSysfs(opts), address), 'net'));
}

export async function readNetdevState(ifname: string, opts: SysfsOptions = {}): Promise<NetdevState> {
  const s: ResolvedSysfs = resolveSysfs(opts);
  const dir = sysPaths.classNet(s, ifname);
  const flags = (await readHexAttr(path.join(dir, 'flags'))) ?? null;
  return {
    ifname,
    operstate: (await readAttr(path.join(dir, 'operstate'))) ?? null,
    adminUp: flags === null ? null : (flags & IFF_UP) !== 0,
    flags,
  };
}

/** Everything sysfs says about one device. Throws `ERR_DEVICE_NOT_FOUND` when it does not exist. */
export async function readPciDevice(address: string, opts: SysfsOptions = {}): Promise<PciDeviceInfo> {
  const addr = await requirePciDevice(address, opts);
  const phys = await readPhysfn(addr, opts);
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

/** Every SR-IOV capable PF (a device with `sriov_totalvfs`), with its VFs. */
export async function listSriovPfs(opts: SysfsOptions = {}): Promise<PciDeviceInfo[]> {
  const s = resolveSysfs(opts);
  const pfs: PciDeviceInfo[] = [];
  for (const addr of await listPciDevices(opts)) {
    if (await exists(path.join(sysPaths.pciDevice(s, addr), 'sriov_totalvfs'))) pfs.push(await readPciDevice(addr, opts));
  }
  return pfs;
}
