/**
 * The low-level sysfs seam: where `/sys`, `/dev`, `/proc` and `/etc/passwd` are (injectable so tests run over fake
 * trees in a temp dir), small tolerant readers, and the writer through which every sysfs write goes (so a
 * test can record the write sequence or simulate the kernel's reaction).
 */
import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.js';

/** Something that performs sysfs writes. The default writes the string with one `write(2)`. */
export interface SysfsWriter {
  write(file: string, data: string): Promise<void>;
}

/** `fs.access`-like check; injectable because root passes every access check. */
export type AccessCheck = (file: string, mode: number) => Promise<void>;

export interface SysfsOptions {
  /** Where sysfs is mounted. Default `/sys`. */
  sysRoot?: string;
  /** Where devtmpfs is mounted. Default `/dev`. */
  devRoot?: string;
  /** Used to resolve `--user NAME` when `getent` is unavailable. Default `/etc/passwd`. */
  passwdPath?: string;
  /** The `getent` used for `--user` (default `getent` on PATH; see users.ts). */
  getentCommand?: string;
  /** Where procfs is mounted (who holds a VFIO group open). Default `/proc`. */
  procRoot?: string;
  writer?: SysfsWriter;
  access?: AccessCheck;
}

export interface ResolvedSysfs {
  sysRoot: string;
  devRoot: string;
  passwdPath: string;
  writer: SysfsWriter;
  access: AccessCheck;
}

/**
 * Writes `data` with a single write(2), O_WRONLY|O_TRUNC and no O_CREAT: a sysfs attribute that does not
 * exist is ENOENT, never a new file (in fake trees the builder creates the attribute files).
 */
export const defaultSysfsWriter: SysfsWriter = {
  async write(file: string, data: string): Promise<void> {
    const fh = await fsp.open(file, fsc.O_WRONLY | fsc.O_TRUNC);
    try {
      const buf = Buffer.from(data);
      const { bytesWritten } = await fh.write(buf, 0, buf.length);
      if (bytesWritten !== buf.length) {
        throw new Error(`short write to ${file}: ${bytesWritten} of ${buf.length} bytes`);
      }
    } finally {
      await fh.close();
    }
  },
};

export function resolveSysfs(opts: SysfsOptions = {}): ResolvedSysfs {
  return {
    sysRoot: opts.sysRoot ?? '/sys',
    devRoot: opts.devRoot ?? '/dev',
    passwdPath: opts.passwdPath ?? '/etc/passwd',
    writer: opts.writer ?? defaultSysfsWriter,
    access: opts.access ?? ((file, mode) => fsp.access(file, mode)),
  };
}

/** Paths inside the (possibly fake) sysfs. */
export const sysPaths = {
  pciDevices: (s: ResolvedSysfs) => path.join(s.sysRoot, 'bus/pci/devices'),
  pciDevice: (s: ResolvedSysfs, addr: string) => path.join(s.sysRoot, 'bus/pci/devices', addr),
  pciDrivers: (s: ResolvedSysfs) => path.join(s.sysRoot, 'bus/pci/drivers'),
  pciDriver: (s: ResolvedSysfs, name: string) => path.join(s.sysRoot, 'bus/pci/drivers', name),
  driversProbe: (s: ResolvedSysfs) => path.join(s.sysRoot, 'bus/pci/drivers_probe'),
  iommuGroup: (s: ResolvedSysfs, group: number) => path.join(s.sysRoot, 'kernel/iommu_groups', String(group)),
  classIommu: (s: ResolvedSysfs) => path.join(s.sysRoot, 'class/iommu'),
  classNet: (s: ResolvedSysfs, ifname: string) => path.join(s.sysRoot, 'class/net', ifname),
  module: (s: ResolvedSysfs, name: string) => path.join(s.sysRoot, 'module', name),
  noiommuParam: (s: ResolvedSysfs) => path.join(s.sysRoot, 'module/vfio/parameters/enable_unsafe_noiommu_mode'),
  devVfio: (s: ResolvedSysfs) => path.join(s.devRoot, 'vfio'),
};

export function errnoOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

/** Reads an attribute, trimmed; `undefined` when it does not exist. Other errors propagate. */
export async function readAttr(file: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(file, 'utf8')).trim();
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '')) return undefined;
    throw err;
  }
}

/** Reads a `0x…` (or bare hex) attribute such as `vendor`; `undefined` when absent or not hex. */
export async function readHexAttr(file: string): Promise<number | undefined> {
  const text = await readAttr(file);
  if (text === undefined || !/^(0x)?[0-9a-f]+$/i.test(text)) return undefined;
  return parseInt(text, 16);
}

/** Reads a decimal attribute such as `sriov_numvfs`; `undefined` when absent or not a number. */
export async function readIntAttr(file: string): Promise<number | undefined> {
  const text = await readAttr(file);
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return parseInt(text, 10);
}

/** The basename of a symlink's target (`driver` → `vfio-pci`); `undefined` when there is no link. */
export async function readLinkBase(link: string): Promise<string | undefined> {
  try {
    return path.basename(await fsp.readlink(link));
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '') || errnoOf(err) === 'EINVAL') return undefined;
    throw err;
  }
}

/** Directory entries, sorted; `[]` when the directory does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).sort();
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '')) return [];
    throw err;
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '')) return false;
    throw err;
  }
}

/**
 * One sysfs write through the configured writer, with the errno turned into an `EnvironmentError` whose
 * message names the file, the value and the errno.
 */
export async function writeAttr(s: ResolvedSysfs, file: string, data: string, what: string): Promise<void> {
  try {
    await s.writer.write(file, data);
  } catch (err) {
    const errno = errnoOf(err);
    const shown = JSON.stringify(data);
    const details = { path: file, value: data, errno };
    if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') {
      throw new EnvironmentError('ERR_PERMISSION_DENIED', `${what}: writing ${shown} to ${file} failed (${errno}); this needs root`, {
        hint: 'run the command as root (sudo)',
        cause: err,
        details,
      });
    }
    throw new EnvironmentError('ERR_SYSFS_WRITE', `${what}: writing ${shown} to ${file} failed (${errno ?? String(err)})`, {
      hint: 'dmesg | tail',
      cause: err,
      details,
    });
  }
}
