/**
 * Root safety for `bind` / `unbind`: the checks that decide whether this tool may move a device between
 * drivers at all. Only ixgbe/igb-family VFs (by PCI ID, src/hw/ids.ts through classifyVf) are ever
 * touched; a PF never is (its VFs, and its host's network, would go with it). A VF whose network
 * interface is up, or whose VFIO group a process holds open, is in use and refused.
 */
import path from 'node:path';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';
import { findGroupHolders, type GroupHolder } from '../vfio/errors.js';
import type { PciAddress } from './address.js';
import { classifyVf, formatIds } from './classify.js';
import { readNetdevState, readPciDevice, type PciDeviceInfo } from './discovery.js';
import { inspectVfioNode } from './iommu.js';
import type { SysfsOptions } from './sysfs.js';

export type GuardVerb = 'bind' | 'unbind';

/**
 * Reads the device and requires an ixgbe/igb-family VF. A PF (SR-IOV capable device) is refused whatever
 * the options; so is a Hyper-V VF (no mailbox) and any device whose ID is not in the VF tables. Exit 2.
 */
export async function requireFamilyVf(address: PciAddress, verb: GuardVerb, opts: SysfsOptions = {}): Promise<PciDeviceInfo> {
  const dev = await readPciDevice(address, opts);
  const ids = formatIds(dev);
  const on = dev.driver === null ? 'no driver' : `driver ${dev.driver}`;
  if (dev.sriov !== null) {
    throw new InvalidArgumentError(
      'ERR_DEVICE_IS_PF',
      `${address} (${ids}, ${on}) is an SR-IOV PF, not a VF: ixgbevf never ${verb}s a PF (its ${dev.sriov.numVfs ?? dev.sriov.vfs.length} VFs and its network would go with it)`,
      { hint: 'ixgbevf list', details: { address, ids, driver: dev.driver, numVfs: dev.sriov.numVfs } },
    );
  }
  const cls = classifyVf(dev);
  if (cls.kind === 'hyperv') {
    throw new InvalidArgumentError('ERR_NOT_A_FAMILY_VF', `${address} (${ids}) is a Hyper-V VF: it has no hardware mailbox, so ixgbevf does not ${verb} it`, {
      hint: 'ixgbevf list',
      details: { address, ids, driver: dev.driver },
    });
  }
  if (cls.kind !== 'ixgbevf' && cls.kind !== 'igbvf') {
    throw new InvalidArgumentError(
      'ERR_NOT_A_FAMILY_VF',
      `${address} (${ids}, ${on}) is not an Intel ixgbe or igb VF: ixgbevf ${verb}s only those, and leaves every other device alone`,
      { hint: 'ixgbevf list', details: { address, ids, driver: dev.driver } },
    );
  }
  return dev;
}

/**
 * Refuses a VF whose network interface is administratively up (someone uses it), unless `force`. An
 * interface whose state cannot be read (no `flags`, or not a number) may be up: refused the same way.
 */
export async function refuseNetdevUp(dev: PciDeviceInfo, verb: GuardVerb, force: boolean, opts: SysfsOptions = {}): Promise<void> {
  if (force) return;
  const forceHint = `ixgbevf ${verb} ${dev.address} --force${verb === 'unbind' && dev.driver !== null ? ` --from ${dev.driver}` : ''}`;
  for (const ifname of dev.netdevs) {
    const st = await readNetdevState(ifname, opts);
    if (st.adminUp === null) {
      throw new EnvironmentError(
        'ERR_NETDEV_STATE_UNKNOWN',
        `${dev.address} may be in use: the state of its interface ${ifname} (driver ${dev.driver ?? '?'}) cannot be read (/sys/class/net/${ifname}/flags)`,
        { hint: `ip link show ${ifname}; if it is down or unused: ${forceHint}`, details: { address: dev.address, ifname } },
      );
    }
    if (st.adminUp === true) {
      throw new EnvironmentError('ERR_NETDEV_UP', `${dev.address} is in use: its interface ${ifname} (driver ${dev.driver ?? '?'}) is up`, {
        hint: `ip link set ${ifname} down, then retry (or: ${forceHint})`,
        details: { address: dev.address, ifname },
      });
    }
  }
}

/** Processes holding the VF's VFIO group open (`<proc>/<pid>/fd/*` → `/dev/vfio/<g>`). */
export async function vfioGroupHolders(dev: PciDeviceInfo, opts: SysfsOptions = {}): Promise<GroupHolder[]> {
  if (dev.iommuGroup === null) return [];
  const node = await inspectVfioNode(dev.iommuGroup, opts);
  return findGroupHolders(node.path, opts.procRoot ?? '/proc');
}

/** Refuses (exit 3) when a process holds the VF's group: unbinding would pull the device from under it. */
export async function refuseGroupHeld(dev: PciDeviceInfo, opts: SysfsOptions = {}): Promise<void> {
  const holders = await vfioGroupHolders(dev, opts);
  if (holders.length === 0) return;
  const who = holders.map((h) => `pid ${h.pid}${h.command === null ? '' : ` (${h.command})`}`).join(', ');
  const pids = holders.map((h) => h.pid).join(' ');
  throw new EnvironmentError('ERR_GROUP_IN_USE', `${dev.address} is in use: ${who} holds its VFIO group ${dev.iommuGroup} open`, {
    hint: `stop that process first (the daemon: systemctl stop ixgbevf; otherwise: kill ${pids}), then retry`,
    details: { address: dev.address, iommuGroup: dev.iommuGroup, holders, node: path.join(opts.devRoot ?? '/dev', 'vfio', String(dev.iommuGroup)) },
  });
}
