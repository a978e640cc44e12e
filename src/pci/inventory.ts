/**
 * What `ixgbevf list` shows, as data: every SR-IOV PF with its netdevs and their state, and every VF with
 * its IDs and family, driver, IOMMU group (+ viability), `/dev/vfio` node, and the PF's view of it from
 * `ip -j -d link show` (admin MAC, trust, spoof-check, link state, VLAN). An `ip` failure is reported in
 * `ipError`, not thrown: sysfs facts are still worth showing.
 */
import type { PciAddress } from './address.js';
import { classifyVf, type VfClass, type VfClassifier } from './classify.js';
import { problemOf, readNetdevState, readPciDevice, scanSriovPfs, type EntryProblem, type NetdevState, type PciDeviceInfo } from './discovery.js';
import { assessGroupViability, inspectVfioNode, type GroupMember, type VfioNode } from './iommu.js';
import { ipLinkShow, type IpLinkInfo, type IpLinkOptions, type IpLinkVf } from './iplink.js';
import type { SysfsOptions } from './sysfs.js';

export interface VfInventory {
  index: number;
  device: PciDeviceInfo;
  class: VfClass;
  groupViable: boolean | null;
  groupOffenders: GroupMember[];
  vfioNode: VfioNode | null;
  /** The PF's view of this VF (from the first PF netdev's `vfinfo_list`), or null. */
  pfView: IpLinkVf | null;
}

export interface PfInventory {
  device: PciDeviceInfo;
  netdevs: NetdevState[];
  ipLink: IpLinkInfo | null;
  /** Why `ip -j -d link show` gave nothing (one line), or null. */
  ipError: string | null;
  vfs: VfInventory[];
  /** VFs (`virtfnN` links) that could not be read or are not VFs of this PF: reported, not listed as VFs. */
  problems: EntryProblem[];
}

export interface InventoryReport {
  pfs: PfInventory[];
  /** PFs that could not be read. */
  problems: EntryProblem[];
}

export interface InventoryOptions extends SysfsOptions {
  classify?: VfClassifier;
  /** Options for `ip`, or false to skip it. */
  ip?: IpLinkOptions | false;
  /** Only this PF (address) or PF interface name. */
  pf?: string;
}

export async function inventory(opts: InventoryOptions = {}): Promise<PfInventory[]> {
  return (await inventoryReport(opts)).pfs;
}

/** The inventory, with what could not be read: one bad PF or VF is reported and the others still listed. */
export async function inventoryReport(opts: InventoryOptions = {}): Promise<InventoryReport> {
  const classify = opts.classify ?? classifyVf;
  const out: PfInventory[] = [];
  const scan = await scanSriovPfs(opts);
  for (const pf of scan.pfs) {
    if (opts.pf !== undefined && opts.pf !== pf.address && !pf.netdevs.includes(opts.pf)) continue;
    const netdevs = await Promise.all(pf.netdevs.map((n) => readNetdevState(n, opts)));
    let ipLink: IpLinkInfo | null = null;
    let ipError: string | null = null;
    if (opts.ip !== false && pf.netdevs[0] !== undefined) {
      try {
        ipLink = await ipLinkShow(pf.netdevs[0], opts.ip ?? {});
      } catch (err) {
        ipError = err instanceof Error ? err.message : String(err);
      }
    } else if (opts.ip !== false) {
      ipError = `PF ${pf.address} has no network interface (driver: ${pf.driver ?? 'none'})`;
    }
    const vfs: VfInventory[] = [];
    const problems: EntryProblem[] = (pf.sriov?.badLinks ?? []).map((b) => ({
      address: null,
      link: b.link,
      code: 'ERR_SYSFS_READ',
      message: `cannot use ${b.link}: ${b.reason}`,
    }));
    for (const { index, address } of pf.sriov?.vfs ?? []) {
      const link = `virtfn${index}`;
      try {
        const vf = await vfInventory(index, address, pf.address, ipLink, classify, opts);
        if (vf.device.physfn !== pf.address) {
          problems.push({
            address,
            link,
            code: 'ERR_NOT_A_VF_OF_PF',
            message: `${pf.address}'s ${link} names ${address}, which is not one of its VFs (${vf.device.physfn === null ? 'it has no physfn' : `its physfn is ${vf.device.physfn}`})`,
          });
          continue;
        }
        vfs.push(vf);
      } catch (err) {
        problems.push(problemOf(err, address, link));
      }
    }
    out.push({ device: pf, netdevs, ipLink, ipError, vfs, problems });
  }
  const problems = opts.pf === undefined ? scan.problems : scan.problems.filter((p) => p.address === opts.pf);
  return { pfs: out, problems };
}

async function vfInventory(index: number, address: PciAddress, pf: PciAddress, ipLink: IpLinkInfo | null, classify: VfClassifier, opts: SysfsOptions): Promise<VfInventory> {
  const device = await readPciDevice(address, opts, { index, address, pf });
  const group = device.iommuGroup === null ? null : await assessGroupViability(device.iommuGroup, opts);
  return {
    index,
    device,
    class: classify(device),
    groupViable: group?.viable ?? null,
    groupOffenders: group?.offenders ?? [],
    vfioNode: device.iommuGroup === null ? null : await inspectVfioNode(device.iommuGroup, opts),
    pfView: ipLink?.vfs.find((v) => v.vf === index) ?? null,
  };
}
