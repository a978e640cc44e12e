/**
 * IOMMU groups and VFIO availability: a device's group, the group's members and whether VFIO will accept
 * the group (viability), the `/dev/vfio/<g>` (or `/dev/vfio/noiommu-<g>`) node with owner, mode and
 * accessibility, and whether an IOMMU / noiommu mode / the vfio modules are there.
 */
import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { PciAddress } from './address.js';
import { classifyVf } from './classify.js';
import {
  errnoOf,
  exists,
  listDir,
  readAttr,
  readHexAttr,
  readFailure,
  readLinkBase,
  resolveSysfs,
  sysPaths,
  type SysfsOptions,
} from './sysfs.js';

/** The device's IOMMU group number, or null when it has none (not managed by an IOMMU / noiommu). */
export async function readIommuGroup(address: PciAddress, opts: SysfsOptions = {}): Promise<number | null> {
  const base = await readLinkBase(path.join(sysPaths.pciDevice(resolveSysfs(opts), address), 'iommu_group'));
  // The group number is the last path token, parsed strictly (DPDK rte_vfio_get_group_num).
  return base !== undefined && /^\d+$/.test(base) ? parseInt(base, 10) : null;
}

/**
 * Drivers that VFIO accepts next to a vfio-bound device in one group. Kernels before 6.2 allow-list
 * `pci-stub` (vfio.c `vfio_driver_allowed`) and treat every PCI bridge as harmless; since 6.2 the rule is
 * "driver_managed_dma", which vfio-pci, its variant drivers (`*_vfio_pci`), pci-stub and pcieport set.
 */
export const VFIO_COMPATIBLE_DRIVERS: ReadonlySet<string> = new Set(['vfio-pci', 'pci-stub', 'pcieport']);

/** PCI-to-PCI bridge class (0x0604xx): allowed with any driver by pre-6.2 kernels. */
const PCI_CLASS_BRIDGE_PCI = 0x0604;

export interface GroupMember {
  address: string;
  driver: string | null;
  classCode: number | null;
  /** An ixgbe/igb VF by its IDs: one `ixgbevf bind` takes (it refuses every other device). */
  familyVf: boolean;
  /** Whether this member lets the group be viable. */
  viable: boolean;
  /** Why it is (or is not) viable: `unbound`, `vfio-pci`, `allowed driver pcieport`, `bridge`, `bound to ixgbe`. */
  reason: string;
}

export interface GroupViability {
  group: number;
  viable: boolean;
  members: GroupMember[];
  /** Members that keep the group from being viable. */
  offenders: GroupMember[];
}

/**
 * Our viability rule (the kernel's, stated explicitly): a member is viable when it is
 *  - unbound (no `driver` link), or
 *  - bound to vfio-pci or a vfio-pci variant driver (name ending in `vfio_pci` / `vfio-pci`), or
 *  - bound to an allowed driver: `pci-stub` or `pcieport`, or
 *  - a PCI-to-PCI bridge (class 0x0604), whatever its driver (pre-6.2 kernels).
 * The group is viable when every member is.
 */
export function classifyMember(driver: string | null, classCode: number | null): { viable: boolean; reason: string } {
  if (driver === null) return { viable: true, reason: 'unbound' };
  if (driver === 'vfio-pci' || /[-_]vfio[-_]pci$/.test(driver)) return { viable: true, reason: driver };
  if (VFIO_COMPATIBLE_DRIVERS.has(driver)) return { viable: true, reason: `allowed driver ${driver}` };
  if (classCode !== null && classCode >> 8 === PCI_CLASS_BRIDGE_PCI) return { viable: true, reason: `bridge (driver ${driver})` };
  return { viable: false, reason: `bound to ${driver}` };
}

export async function readGroupMembers(group: number, opts: SysfsOptions = {}): Promise<GroupMember[]> {
  const s = resolveSysfs(opts);
  const members: GroupMember[] = [];
  for (const address of await listDir(path.join(sysPaths.iommuGroup(s, group), 'devices'))) {
    const dev = sysPaths.pciDevice(s, address);
    const driver = (await readLinkBase(path.join(dev, 'driver'))) ?? null;
    const classCode = (await readHexAttr(path.join(dev, 'class'))) ?? null;
    const vendor = await readHexAttr(path.join(dev, 'vendor'), 16);
    const device = await readHexAttr(path.join(dev, 'device'), 16);
    const kind = vendor === undefined || device === undefined ? 'unknown' : classifyVf({ vendor, device }).kind;
    members.push({ address, driver, classCode, familyVf: kind === 'ixgbevf' || kind === 'igbvf', ...classifyMember(driver, classCode) });
  }
  return members;
}

/**
 * The way out for a member that keeps a VF's group from being viable. Its PF cannot leave its driver (the
 * VFs would go with it); another ixgbe/igb VF goes to vfio-pci with `ixgbevf bind`; any other device is
 * only unbound from its driver (no driver is as good as vfio-pci for VFIO; `ixgbevf bind` refuses what it
 * does not drive): the sysfs write, for the administrator to decide on.
 */
export function groupMemberFix(m: GroupMember, physfn: string | null, opts: SysfsOptions = {}): string {
  if (m.address === physfn) {
    return `the PF ${m.address} shares the VF's group (no ACS isolation) and cannot leave ${m.driver ?? 'its driver'}: use a slot/platform with ACS, or noiommu mode`;
  }
  if (m.familyVf) return `ixgbevf bind ${m.address}`;
  return `echo ${m.address} > ${path.join(sysPaths.pciDevice(resolveSysfs(opts), m.address), 'driver', 'unbind')}`;
}

export async function assessGroupViability(group: number, opts: SysfsOptions = {}): Promise<GroupViability> {
  const members = await readGroupMembers(group, opts);
  const offenders = members.filter((m) => !m.viable);
  return { group, viable: offenders.length === 0, members, offenders };
}

/** `0000:01:00.0 (ixgbe), 0000:01:10.0 (vfio-pci)` — for messages. */
export function describeMembers(members: readonly GroupMember[]): string {
  return members.map((m) => `${m.address} (${m.driver ?? 'no driver'})`).join(', ');
}

export interface VfioNode {
  group: number;
  /** The node found (`/dev/vfio/<g>` first, then `/dev/vfio/noiommu-<g>`), or the expected path when absent. */
  path: string;
  exists: boolean;
  noiommu: boolean;
  uid: number | null;
  gid: number | null;
  /** Permission bits (`mode & 0o777`). */
  mode: number | null;
  /** Whether the current process can open it read-write (`access(R_OK|W_OK)`). */
  accessible: boolean;
  /** The errno of a failed access check (`EACCES`), or null. */
  accessError: string | null;
}

/** The group's VFIO node (DPDK `vfio_open_group_fd`: `/dev/vfio/<n>`, on ENOENT `/dev/vfio/noiommu-<n>`). */
export async function inspectVfioNode(group: number, opts: SysfsOptions = {}): Promise<VfioNode> {
  const s = resolveSysfs(opts);
  const dir = sysPaths.devVfio(s);
  const candidates = [
    { file: path.join(dir, String(group)), noiommu: false },
    { file: path.join(dir, `noiommu-${group}`), noiommu: true },
  ];
  for (const { file, noiommu } of candidates) {
    let st;
    try {
      st = await fsp.stat(file);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') continue;
      throw readFailure(file, err);
    }
    let accessError: string | null = null;
    try {
      await s.access(file, fsc.R_OK | fsc.W_OK);
    } catch (err) {
      accessError = errnoOf(err) ?? String(err);
    }
    return { group, path: file, exists: true, noiommu, uid: st.uid, gid: st.gid, mode: st.mode & 0o777, accessible: accessError === null, accessError };
  }
  return { group, path: candidates[0]!.file, exists: false, noiommu: false, uid: null, gid: null, mode: null, accessible: false, accessError: 'ENOENT' };
}

export interface VfioEnvironment {
  /** `/sys/class/iommu` is non-empty (dpdk-devbind `has_iommu`). */
  iommuPresent: boolean;
  iommuUnits: string[];
  /** `enable_unsafe_noiommu_mode`: true/false, or null when the parameter does not exist (vfio not loaded or built without noiommu). */
  noiommuMode: boolean | null;
  vfioLoaded: boolean;
  vfioPciLoaded: boolean;
  /** `/sys/bus/pci/drivers/vfio-pci` exists (the driver is registered, built-in or module). */
  vfioPciDriver: boolean;
  /** `/dev/vfio/vfio`, the container node (legacy container API). */
  container: { path: string; exists: boolean; accessible: boolean; accessError: string | null };
}

export async function readVfioEnvironment(opts: SysfsOptions = {}): Promise<VfioEnvironment> {
  const s = resolveSysfs(opts);
  const iommuUnits = await listDir(sysPaths.classIommu(s));
  const noiommu = await readAttr(sysPaths.noiommuParam(s));
  const containerPath = path.join(sysPaths.devVfio(s), 'vfio');
  const containerExists = await exists(containerPath);
  let accessError: string | null = containerExists ? null : 'ENOENT';
  if (containerExists) {
    try {
      await s.access(containerPath, fsc.R_OK | fsc.W_OK);
    } catch (err) {
      accessError = errnoOf(err) ?? String(err);
    }
  }
  return {
    iommuPresent: iommuUnits.length > 0,
    iommuUnits,
    noiommuMode: noiommu === undefined ? null : noiommu === 'Y' || noiommu === '1',
    vfioLoaded: await exists(sysPaths.module(s, 'vfio')),
    vfioPciLoaded: await exists(sysPaths.module(s, 'vfio_pci')),
    vfioPciDriver: await exists(sysPaths.pciDriver(s, 'vfio-pci')),
    container: { path: containerPath, exists: containerExists, accessible: accessError === null, accessError },
  };
}
