/**
 * Handing a device to vfio-pci and back, the way dpdk-devbind.py and driverctl do it: `driver_override`,
 * unbind from the current driver, `drivers_probe`; then read the `driver` link back and fail precisely
 * when it did not take. Non-persistent (a reboot or VF re-creation forgets it; use driverctl for that).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, InvalidArgumentError } from '../errors.js';
import type { PciAddress } from './address.js';
import { isDriverName, readDriver, readDriverOverride, readSriov, requirePciDevice } from './discovery.js';
import { refuseGroupHeld, refuseNetdevUp, requireFamilyVf } from './guard.js';
import { assessGroupViability, inspectVfioNode, readIommuGroup, readVfioEnvironment, type GroupViability, type VfioNode } from './iommu.js';
import { exists, resolveSysfs, sysPaths, writeAttr, type ResolvedSysfs, type SysfsOptions } from './sysfs.js';
import { resolveUser } from './users.js';

export const VFIO_PCI = 'vfio-pci';

export const NO_IOMMU_HINT =
  'enable the IOMMU: add intel_iommu=on (AMD: amd_iommu=on) to the kernel command line and reboot; ' +
  'or, with no IOMMU, allow VFIO without one (no DMA here, so it works): ' +
  'echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode (vfio not loaded yet: modprobe vfio enable_unsafe_noiommu_mode=1)';

export type ChownFn = (file: string, uid: number, gid: number) => Promise<void>;

export interface BindOptions extends SysfsOptions {
  /** After binding, chown `/dev/vfio/<g>` to this user (name from passwd, or a numeric uid). */
  user?: string;
  /** Group id for the chown; default: leave the group unchanged. */
  gid?: number;
  /** Write 1 to `enable_unsafe_noiommu_mode` when there is no IOMMU (dpdk-devbind `--noiommu-mode`). */
  enableNoiommu?: boolean;
  /**
   * Take the VF even when its network interface is up. Covers nothing else: a PF, a device that is not an
   * ixgbe/igb VF, or a VF whose VFIO group a process holds are refused whatever this says.
   */
  force?: boolean;
  chown?: ChownFn;
  /** How long to wait for the `/dev/vfio` node to appear before a chown. Default 2000 ms. */
  nodeWaitMs?: number;
}

export interface BindResult {
  address: PciAddress;
  previousDriver: string | null;
  driver: string;
  /** False when the device was already on vfio-pci (nothing was written except maybe the chown). */
  changed: boolean;
  iommuGroup: number | null;
  group: GroupViability | null;
  vfioNode: VfioNode | null;
  chowned: { path: string; uid: number; gid: number } | null;
}

function validateDriverName(name: string): string {
  if (!isDriverName(name)) {
    throw new InvalidArgumentError('ERR_INVALID_DRIVER', `invalid driver name ${JSON.stringify(name)}`, {
      hint: 'ls /sys/bus/pci/drivers',
      details: { driver: name },
    });
  }
  return name;
}

async function unbindCurrent(s: ResolvedSysfs, addr: PciAddress, driver: string): Promise<void> {
  // Through the driver's own directory (not `<dev>/driver/unbind`): same file, and never `drivers//unbind`.
  await writeAttr(s, path.join(sysPaths.pciDriver(s, driver), 'unbind'), addr, `unbind ${addr} from ${driver}`);
}

/** Preconditions for vfio-pci to accept the device: driver registered, and an IOMMU or noiommu mode. */
async function preflightVfio(s: ResolvedSysfs, opts: BindOptions): Promise<boolean> {
  const env = await readVfioEnvironment(opts);
  if (!env.vfioPciDriver) {
    throw new EnvironmentError('ERR_VFIO_PCI_NOT_LOADED', 'the vfio-pci driver is not loaded (/sys/bus/pci/drivers/vfio-pci is missing)', {
      hint: 'modprobe vfio-pci',
    });
  }
  if (env.iommuPresent) return false;
  if (env.noiommuMode === true) return true;
  if (opts.enableNoiommu === true && env.noiommuMode === false) {
    await writeAttr(s, sysPaths.noiommuParam(s), '1', 'enable unsafe noiommu mode');
    return true;
  }
  throw new EnvironmentError('ERR_NO_IOMMU', 'no IOMMU is enabled (/sys/class/iommu is empty) and VFIO noiommu mode is off', {
    hint: NO_IOMMU_HINT,
    details: { noiommuParameter: env.noiommuMode },
  });
}

async function waitForNode(group: number, opts: BindOptions): Promise<VfioNode> {
  const deadline = Date.now() + (opts.nodeWaitMs ?? 2000);
  for (;;) {
    const node = await inspectVfioNode(group, opts);
    if (node.exists || Date.now() >= deadline) return node;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** chown `/dev/vfio/<g>` (or `noiommu-<g>`) so `user` can open the group without root. */
export async function chownVfioNode(group: number, user: string, opts: BindOptions = {}): Promise<{ path: string; uid: number; gid: number }> {
  const who = await resolveUser(user, opts);
  const node = await waitForNode(group, opts);
  if (!node.exists) {
    throw new EnvironmentError('ERR_VFIO_NODE_MISSING', `${node.path} does not exist (is a device of group ${group} bound to vfio-pci?)`, {
      hint: 'ls -l /dev/vfio',
      details: { group },
    });
  }
  const gid = opts.gid ?? -1;
  try {
    await (opts.chown ?? fsp.chown)(node.path, who.uid, gid);
  } catch (err) {
    throw new EnvironmentError('ERR_PERMISSION_DENIED', `chown ${who.uid} ${node.path} failed (${(err as NodeJS.ErrnoException).code ?? String(err)}); this needs root`, {
      hint: 'run the command as root (sudo)',
      cause: err,
      details: { path: node.path, uid: who.uid },
    });
  }
  return { path: node.path, uid: who.uid, gid };
}

/**
 * Binds a device to vfio-pci: checks vfio-pci and the IOMMU first (so a failed bind never leaves the device
 * driverless for a reason we could have known), then writes `vfio-pci` to `driver_override`, the address to
 * the current driver's `unbind`, and the address to `/sys/bus/pci/drivers_probe`, and reads `driver` back.
 */
export async function bindToVfio(address: string, opts: BindOptions = {}): Promise<BindResult> {
  const s = resolveSysfs(opts);
  const addr = await requirePciDevice(address, opts);
  const dev = await requireFamilyVf(addr, 'bind', opts);
  if (opts.user !== undefined) await resolveUser(opts.user, opts); // fail on a bad --user before touching anything
  const previousDriver = dev.driver;
  let changed = false;
  if (previousDriver !== VFIO_PCI) {
    await refuseNetdevUp(dev, 'bind', opts.force === true, opts);
    await preflightVfio(s, opts);
    const dir = sysPaths.pciDevice(s, addr);
    const overrideFile = path.join(dir, 'driver_override');
    await writeAttr(s, overrideFile, VFIO_PCI, `set driver_override of ${addr}`);
    if (previousDriver !== null) {
      try {
        await unbindCurrent(s, addr, previousDriver);
      } catch (err) {
        // The VF stays on its driver: give driver_override back its old value, so a later probe (driver
        // reload, rescan) does not hand the VF to vfio-pci after a bind that failed.
        const previous = dev.driverOverride !== null && isDriverName(dev.driverOverride) ? dev.driverOverride : '\n';
        await writeAttr(s, overrideFile, previous, `restore driver_override of ${addr}`).catch(() => undefined);
        throw err;
      }
    }
    let probeError: unknown;
    try {
      await writeAttr(s, sysPaths.driversProbe(s), addr, `probe ${addr}`);
    } catch (err) {
      probeError = err; // the driver link below says what happened; the errno goes into details
    }
    const now = await readDriver(addr, opts);
    if (now !== VFIO_PCI) {
      const group = await readIommuGroup(addr, opts);
      const noGroup = group === null;
      throw new EnvironmentError(
        'ERR_BIND_FAILED',
        `${addr} did not bind to vfio-pci (driver now: ${now ?? 'none'}${noGroup ? '; the device has no IOMMU group' : ''})`,
        {
          hint: noGroup
            ? NO_IOMMU_HINT
            : `dmesg | tail; to give it back: ${giveBackCommand(addr, previousDriver, now)}`,
          cause: probeError,
          details: { address: addr, previousDriver, driver: now, iommuGroup: group },
        },
      );
    }
    changed = true;
  }
  const iommuGroup = await readIommuGroup(addr, opts);
  const group = iommuGroup === null ? null : await assessGroupViability(iommuGroup, opts);
  let chowned: BindResult['chowned'] = null;
  if (opts.user !== undefined && iommuGroup !== null) chowned = await chownVfioNode(iommuGroup, opts.user, opts);
  const vfioNode = iommuGroup === null ? null : await inspectVfioNode(iommuGroup, opts);
  return { address: addr, previousDriver, driver: VFIO_PCI, changed, iommuGroup, group, vfioNode, chowned };
}

/** The `ixgbevf unbind` command that returns a device left on `now` to `previous` (a hint; it parses). */
export function giveBackCommand(addr: PciAddress, previous: string | null, now: string | null): string {
  const from = now !== null && now !== VFIO_PCI ? ` --from ${now}` : '';
  return `ixgbevf unbind ${addr}${from}${previous !== null && previous !== VFIO_PCI ? ` --driver ${previous}` : ''}`;
}

export interface UnbindOptions extends SysfsOptions {
  /**
   * After unbinding: `true` → write the address to `drivers_probe` (the kernel picks the native driver,
   * e.g. ixgbevf); a driver name → write it to `/sys/bus/pci/drivers/<name>/bind` and require that it took.
   */
  restore?: boolean | string;
  /**
   * The driver the user named to take the VF from. Without it only a VF on vfio-pci (or on no driver) is
   * taken: unbinding a VF from ixgbevf would pull an interface from under its users.
   */
  from?: string;
  /** Take the VF even when its network interface is up (only with `from`: a VF on vfio-pci has none). */
  force?: boolean;
}

export interface UnbindResult {
  address: PciAddress;
  previousDriver: string | null;
  /** The driver after the operation (null: left unbound). */
  driver: string | null;
}

/** Whether the PF's `sriov_drivers_autoprobe` lets its VFs probe any driver (false when it cannot be read). */
async function pfAutoprobesVfs(pf: PciAddress | null, opts: SysfsOptions): Promise<boolean> {
  if (pf === null) return true; // not a VF of a PF seen here (passed through): the rule does not apply
  const sriov = await readSriov(pf, opts).catch(() => null);
  return sriov?.driversAutoprobe === true;
}

/**
 * Clears `driver_override` (writes "\n"), unbinds from the current driver, and optionally probes the device
 * back to its native driver (`restore`). Only an ixgbe/igb VF, only from vfio-pci or the driver named in
 * `from`, never while a process holds its VFIO group, and (unless `force`) never while its interface is up.
 */
export async function unbindDevice(address: string, opts: UnbindOptions = {}): Promise<UnbindResult> {
  const s = resolveSysfs(opts);
  const addr = await requirePciDevice(address, opts);
  const restoreTo = typeof opts.restore === 'string' ? validateDriverName(opts.restore) : null;
  const from = opts.from === undefined ? VFIO_PCI : validateDriverName(opts.from);
  const vf = await requireFamilyVf(addr, 'unbind', opts);
  if (vf.driver !== null && vf.driver !== from) {
    throw new EnvironmentError(
      'ERR_NOT_ON_VFIO',
      opts.from === undefined
        ? `${addr} is bound to ${vf.driver}, not vfio-pci: unbind takes a VF only from vfio-pci unless you name its driver`
        : `${addr} is bound to ${vf.driver}, not ${from}: nothing was changed`,
      { hint: `ixgbevf unbind ${addr} --from ${vf.driver}`, details: { address: addr, driver: vf.driver, from } },
    );
  }
  await refuseGroupHeld(vf, opts);
  await refuseNetdevUp(vf, 'unbind', opts.force === true, opts);
  if (restoreTo !== null && !(await exists(sysPaths.pciDriver(s, restoreTo)))) {
    throw new EnvironmentError('ERR_DRIVER_NOT_LOADED', `driver ${restoreTo} is not loaded (/sys/bus/pci/drivers/${restoreTo} is missing)`, {
      hint: `modprobe ${restoreTo}`,
      details: { driver: restoreTo },
    });
  }
  const dev = sysPaths.pciDevice(s, addr);
  const previousDriver = await readDriver(addr, opts);
  if ((await readDriverOverride(addr, opts)) !== null) {
    await writeAttr(s, path.join(dev, 'driver_override'), '\n', `clear driver_override of ${addr}`);
  }
  if (previousDriver !== null) await unbindCurrent(s, addr, previousDriver);
  if (restoreTo !== null) {
    // A VF of a PF whose sriov_drivers_autoprobe is 0 (the set-up this tool asks for) may probe only the
    // driver its driver_override names: pci_device_can_probe() in drivers/pci/pci-driver.c refuses a plain
    // `bind` write. Name the driver for the bind, then clear the override again, as unbind leaves none.
    const pin = !(await pfAutoprobesVfs(vf.physfn, opts));
    const overrideFile = path.join(dev, 'driver_override');
    if (pin) await writeAttr(s, overrideFile, restoreTo, `set driver_override of ${addr} to ${restoreTo}`);
    let bindError: unknown;
    try {
      await writeAttr(s, path.join(sysPaths.pciDriver(s, restoreTo), 'bind'), addr, `bind ${addr} to ${restoreTo}`);
    } catch (err) {
      bindError = err; // judged by the driver link below
    }
    if (pin) await writeAttr(s, overrideFile, '\n', `clear driver_override of ${addr}`);
    const now = await readDriver(addr, opts);
    if (now !== restoreTo) {
      throw new EnvironmentError('ERR_BIND_FAILED', `${addr} did not bind to ${restoreTo} (driver now: ${now ?? 'none'})`, {
        hint: 'dmesg | tail',
        cause: bindError,
        details: { address: addr, driver: now, wanted: restoreTo },
      });
    }
  } else if (opts.restore === true) {
    await writeAttr(s, sysPaths.driversProbe(s), addr, `probe ${addr}`);
  }
  return { address: addr, previousDriver, driver: await readDriver(addr, opts) };
}
