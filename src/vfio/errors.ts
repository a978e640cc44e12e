/**
 * Maps errors from the native `openDevice` (fs-style: code/errno/syscall/path) to EnvironmentErrors
 * with stable codes and the command that fixes them. Looks at sysfs (group members and their
 * drivers) and /proc (who holds the group) to name the cause. The native error's facts are kept in
 * `details`.
 */
import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { EnvironmentError, IxgbevfError } from '../errors.js';
import type { NativeError } from '../native.js';
import { groupMemberFix, readGroupMembers } from '../pci/iommu.js';
import { readAttr } from '../pci/sysfs.js';

/**
 * A process's name from its /proc/<pid>/comm; null when it cannot be read. Read as a sysfs attribute is
 * (readAttr: O_NONBLOCK, a regular file only, bounded), so whatever stands in its place (a FIFO in a fake
 * tree given by IXGBEVF_PROC_ROOT) never blocks the command.
 */
async function processName(file: string): Promise<string | null> {
  const name = await readAttr(file).catch(() => undefined);
  // Shown in a message: printable characters only.
  return name === undefined || name === '' ? null : name.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

export interface OpenErrorContext {
  /** Normalised PCI address. */
  address: string;
  sysfsRoot: string;
  devVfioRoot: string;
  /** Default `/proc`. */
  procRoot?: string;
}

export interface GroupHolder {
  pid: number;
  command: string | null;
}

async function readlinkBase(path: string): Promise<string | null> {
  try {
    return basename(await fsp.readlink(path));
  } catch {
    return null;
  }
}

/** The IOMMU group number of a device from sysfs, or null. */
export async function readIommuGroup(sysfsRoot: string, address: string): Promise<number | null> {
  const name = await readlinkBase(join(sysfsRoot, 'bus/pci/devices', address, 'iommu_group'));
  return name !== null && /^\d+$/.test(name) ? Number(name) : null;
}

/** Processes with `groupPath` open, found by scanning `<proc>/<pid>/fd/*` (those we may read). */
export async function findGroupHolders(groupPath: string, procRoot = '/proc'): Promise<GroupHolder[]> {
  const holders: GroupHolder[] = [];
  let pids: string[];
  try {
    pids = (await fsp.readdir(procRoot)).filter((p) => /^\d+$/.test(p));
  } catch {
    return holders;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = await fsp.readdir(join(procRoot, pid, 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = await fsp.readlink(join(procRoot, pid, 'fd', fd));
      } catch {
        continue;
      }
      if (target === groupPath) {
        holders.push({ pid: Number(pid), command: await processName(join(procRoot, pid, 'comm')) });
        break;
      }
    }
  }
  return holders;
}

function nativeDetails(err: NativeError): Record<string, unknown> {
  const d: Record<string, unknown> = { nativeCode: err.code };
  if (err.errno !== undefined) d['errno'] = err.errno;
  if (err.syscall !== undefined) d['syscall'] = err.syscall;
  if (err.path !== undefined) d['path'] = err.path;
  return d;
}

/** Turns an error from `openDevice` into a coded EnvironmentError (others pass through unchanged). */
export async function mapOpenError(err: unknown, ctx: OpenErrorContext): Promise<unknown> {
  if (err instanceof IxgbevfError || !(err instanceof Error)) return err;
  const e = err as NativeError;
  if (typeof e.code !== 'string') return err;
  const { address } = ctx;
  const syscall = e.syscall ?? '';
  const path = e.path ?? '';
  const details = { address, ...nativeDetails(e) };
  const make = (code: string, message: string, hint: string, extra: Record<string, unknown> = {}): EnvironmentError =>
    new EnvironmentError(code, message, { hint, cause: err, details: { ...details, ...extra } });
  const group = await readIommuGroup(ctx.sysfsRoot, address);
  const groupPath = path.startsWith(ctx.devVfioRoot) && /\/(noiommu-)?\d+$/.test(path) ? path : join(ctx.devVfioRoot, String(group ?? '<group>'));

  if (syscall === 'stat' && e.code === 'ENOENT') {
    return make('ERR_NO_DEVICE', `no PCI device ${address} (${path} does not exist)`, 'ixgbevf list');
  }
  if (syscall === 'readlink') {
    return make(
      'ERR_NO_IOMMU_GROUP',
      `PCI device ${address} has no IOMMU group: the IOMMU is off or missing`,
      'boot with intel_iommu=on iommu=pt (or amd_iommu=on); without an IOMMU: modprobe vfio enable_unsafe_noiommu_mode=1, then ixgbevf bind ' + address,
    );
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return make(
      'ERR_PERMISSION',
      `permission denied opening ${path || groupPath}`,
      `sudo chown $USER ${path || groupPath}  (or: ixgbevf bind ${address} --user $USER)`,
      { group },
    );
  }
  if (syscall === 'open' && e.code === 'ENOENT') {
    if (basename(path) === 'vfio') {
      return make('ERR_NO_VFIO', `the VFIO container ${path} does not exist: the vfio module is not loaded`, 'sudo modprobe vfio-pci');
    }
    return make(
      'ERR_NOT_BOUND_VFIO',
      `${address} is not bound to vfio-pci: ${path} (IOMMU group ${group ?? '?'}) does not exist`,
      `ixgbevf bind ${address}`,
      { group },
    );
  }
  if (e.code === 'EBUSY') {
    const holders = await findGroupHolders(groupPath, ctx.procRoot);
    const who = holders.length > 0 ? holders.map((h) => `${h.command ?? '?'} (pid ${h.pid})`).join(', ') : 'another process';
    return make(
      'ERR_DEVICE_BUSY',
      `${address} is busy: ${groupPath} is already open by ${who}`,
      // A command first, and the harmless one: the holder may be a daemon to go through, or a VM.
      `ixgbevf list   (shows whether an ixgbevf daemon owns ${address}: then add --socket <its socket> to the command; ${
        holders.length > 0 ? `else stop ${holders.map((h) => `${h.command ?? '?'} (kill ${h.pid})`).join(', ')} first` : `else find the holder: fuser -v ${groupPath}`
      })`,
      { group, holders },
    );
  }
  if (e.code === 'ERR_GROUP_NOT_VIABLE') {
    // VFIO's own rule, as doctor judges it (pci/iommu.ts): pci-stub, pcieport and bridges do not block.
    const sysfs = { sysRoot: ctx.sysfsRoot };
    const members = group === null ? [] : await readGroupMembers(group, sysfs);
    const blockers = members.filter((m) => m.address !== address && !m.viable);
    const what = blockers.length > 0
      ? blockers.map((m) => `${m.address} in the same group is bound to ${m.driver}`).join('; ')
      : 'not every device in it is bound to vfio-pci or unbound';
    const physfn = await readlinkBase(join(ctx.sysfsRoot, 'bus/pci/devices', address, 'physfn'));
    const hint = blockers.length > 0 ? blockers.map((m) => groupMemberFix(m, physfn, sysfs)).join('; ') : `ixgbevf doctor ${address}`;
    return make('ERR_GROUP_NOT_VIABLE', `IOMMU group ${group ?? '?'} is not viable: ${what}`, hint, { group, members });
  }
  if (syscall === 'ioctl(VFIO_GROUP_GET_DEVICE_FD)' && e.code === 'EINVAL') {
    const pfDriver = await readlinkBase(join(ctx.sysfsRoot, 'bus/pci/devices', address, 'physfn', 'driver'));
    const tokenCase = pfDriver === 'vfio-pci';
    return make(
      'ERR_VFIO_DEVICE_FD',
      tokenCase
        ? `VFIO refused to hand out ${address}: its PF is bound to vfio-pci, which requires a VF token`
        : `VFIO refused to hand out ${address} (VFIO_GROUP_GET_DEVICE_FD: invalid argument)`,
      tokenCase ? 'pass the PF owner\'s VF token (vfToken option), or give the PF back to its kernel driver' : `ixgbevf doctor ${address}`,
      { group, pfDriver },
    );
  }
  if (e.code === 'ERR_VFIO_API_VERSION') {
    return make('ERR_VFIO_API_VERSION', e.message, 'use a kernel with VFIO API version 0');
  }
  return make('ERR_VFIO', `opening ${address} through VFIO failed: ${e.message}`, `ixgbevf doctor ${address}`, { group });
}
