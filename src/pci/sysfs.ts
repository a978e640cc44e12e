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

/** An error with an errno-like `code`, for a file that is not what a sysfs attribute is. */
function notAnAttribute(file: string, what: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${file} is ${what}, not a sysfs attribute file`), { code: 'EINVAL' });
}

/** What a non-regular file is, for messages. */
function kindOf(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device node';
  return 'not a regular file';
}

/**
 * Writes `data` with a single write(2), O_WRONLY|O_TRUNC and no O_CREAT: a sysfs attribute that does not
 * exist is ENOENT, never a new file (in fake trees the builder creates the attribute files). O_NONBLOCK and
 * a regular-file check: a FIFO (or anything else that is not an attribute) in its place is an error at
 * once (ENXIO / EINVAL), never an open(2) that blocks the command for good.
 */
export const defaultSysfsWriter: SysfsWriter = {
  async write(file: string, data: string): Promise<void> {
    const fh = await fsp.open(file, fsc.O_WRONLY | fsc.O_TRUNC | fsc.O_NONBLOCK);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw notAnAttribute(file, kindOf(st));
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

/** The longest attribute read: sysfs attributes are one page (at most 64 KiB pages); more is not sysfs. */
export const MAX_ATTR_BYTES = 65536;

/**
 * A sysfs file or link that exists but cannot be used (unreadable, a FIFO or directory in its place, a
 * symlink loop, content that is not what the kernel writes there). Exit 3; the path and the reason.
 */
export function sysfsReadError(file: string, reason: string, cause?: unknown): EnvironmentError {
  return new EnvironmentError('ERR_SYSFS_READ', `cannot use ${file}: ${reason}`, {
    hint: `ls -l ${file}`,
    ...(cause === undefined ? {} : { cause }),
    details: { path: file, ...(errnoOf(cause) === undefined ? {} : { errno: errnoOf(cause) }) },
  });
}

export function readFailure(file: string, err: unknown): EnvironmentError {
  if (err instanceof EnvironmentError) return err;
  const errno = errnoOf(err);
  return sysfsReadError(file, errno === undefined ? String(err) : `${errno}${errno === 'ELOOP' ? ' (a symlink loop)' : ''}`, err);
}

/**
 * Reads an attribute, trimmed; `undefined` when it does not exist. Opened O_NONBLOCK and checked to be a
 * regular file (a FIFO never blocks the command), at most MAX_ATTR_BYTES; any other failure is
 * `ERR_SYSFS_READ`.
 */
export async function readAttr(file: string): Promise<string | undefined> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '')) return undefined;
    throw readFailure(file, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw sysfsReadError(file, `${kindOf(st)}, not an attribute file`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_ATTR_BYTES) throw sysfsReadError(file, `longer than ${MAX_ATTR_BYTES} bytes (a sysfs attribute is one page)`);
    }
    return Buffer.concat(chunks).toString('utf8').trim();
  } catch (err) {
    throw readFailure(file, err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Parses `0x…` (or bare) hex of at most `bits` bits; undefined when it is not that. */
export function parseHexText(text: string, bits = 32): number | undefined {
  const digits = Math.ceil(bits / 4);
  const m = new RegExp(`^(?:0x)?0*([0-9a-f]{1,${digits}})$`, 'i').exec(text);
  if (m === null) return undefined;
  const n = parseInt(m[1]!, 16);
  return n < 2 ** bits ? n : undefined;
}

/** Reads a `0x…` (or bare hex) attribute such as `vendor`; `undefined` when absent or not hex of `bits` bits. */
export async function readHexAttr(file: string, bits = 32): Promise<number | undefined> {
  const text = await readAttr(file);
  return text === undefined ? undefined : parseHexText(text, bits);
}

/** Reads a decimal attribute such as `sriov_numvfs`; `undefined` when absent or not a non-negative number below 2^31. */
export async function readIntAttr(file: string): Promise<number | undefined> {
  const text = await readAttr(file);
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const n = parseInt(text, 10);
  return n < 2 ** 31 ? n : undefined;
}

/** The target of a symlink; `undefined` when there is no link (or it is not a link). Other errors: ERR_SYSFS_READ. */
export async function readLinkTarget(link: string): Promise<string | undefined> {
  try {
    return await fsp.readlink(link);
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '') || errnoOf(err) === 'EINVAL') return undefined;
    throw readFailure(link, err);
  }
}

/** The basename of a symlink's target (`driver` → `vfio-pci`); `undefined` when there is no link. */
export async function readLinkBase(link: string): Promise<string | undefined> {
  const target = await readLinkTarget(link);
  return target === undefined ? undefined : path.basename(target);
}

/** Directory entries, sorted; `[]` when the directory does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).sort();
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '')) return [];
    throw readFailure(dir, err);
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fsp.lstat(file);
    return true;
  } catch (err) {
    if (ABSENT.has(errnoOf(err) ?? '')) return false;
    throw readFailure(file, err);
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
