/**
 * Builds fake /sys, /dev and /etc/passwd trees in a temp dir from a declarative spec, with real symlinks
 * where the kernel has them (`bus/pci/devices/<a>`, `driver`, `iommu_group`, `physfn`, `virtfnN`,
 * `kernel/iommu_groups/<g>/devices/<a>`, `class/net/<if>`), and a `FakeKernel` writer that records every
 * sysfs write and simulates its effect (driver_override, unbind, bind, drivers_probe, noiommu param).
 */
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, chmodSync, existsSync, readFileSync, readlinkSync, unlinkSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SysfsOptions, SysfsWriter } from '../../src/pci/sysfs.js';

export interface FakeNetdev {
  name: string;
  /** Administratively up (IFF_UP in `flags`). Default true. */
  up?: boolean;
  /** Default `up` when up, else `down`. */
  operstate?: string;
}

export interface FakeDevice {
  address: string;
  vendor?: number;
  device: number;
  subsystemVendor?: number;
  subsystemDevice?: number;
  classCode?: number;
  driver?: string | null;
  driverOverride?: string | null;
  iommuGroup?: number | null;
  /** For a VF: the PF's address (creates `physfn` and the PF's `virtfnN`). */
  pf?: string;
  /** For a PF: SR-IOV attributes (sriov_numvfs = the number of VFs naming this PF). */
  sriov?: { totalVfs: number; autoprobe?: boolean };
  netdevs?: FakeNetdev[];
  /** The driver `drivers_probe` picks with no override (ixgbevf for a VF). */
  nativeDriver?: string;
}

export interface FakeVfioNode {
  group: number;
  noiommu?: boolean;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface FakeSysSpec {
  devices: FakeDevice[];
  /** `/sys/class/iommu/dmar0`. Default true. */
  iommu?: boolean;
  /** `enable_unsafe_noiommu_mode` (Y/N); absent when vfio is not loaded. Default false. */
  noiommu?: boolean;
  /** Loaded modules under /sys/module. Default vfio, vfio_pci, vfio_iommu_type1. */
  modules?: string[];
  /** Extra registered PCI drivers (every driver named by a device, and vfio-pci when vfio_pci is loaded, are added). */
  drivers?: string[];
  /** /dev/vfio/<g> nodes; default: one (root 0600) per group holding a vfio-pci device. */
  vfioNodes?: FakeVfioNode[];
  passwd?: string;
  /** Users only the name service knows (as LDAP/SSSD would): `getent passwd` lines, not in passwd. */
  directoryUsers?: string;
  /** /etc/group; default root, alice, nogroup. */
  group?: string;
  /** Groups only the name service knows. */
  directoryGroups?: string;
}

export interface WriteRecord {
  /** Path relative to the sys root, e.g. `bus/pci/drivers_probe`. */
  path: string;
  data: string;
}

const PCI_ROOT = 'devices/pci0000:00';

export class FakeKernel implements SysfsWriter {
  readonly writes: WriteRecord[] = [];
  /** Called before the simulated effect; may throw to simulate an errno. */
  onWrite: ((rec: WriteRecord) => void) | undefined;
  /** Drivers whose probe fails (the bind does not take). */
  readonly failingProbes = new Set<string>();

  constructor(private readonly fake: FakeSys) {}

  async write(file: string, data: string): Promise<void> {
    const rel = path.relative(this.fake.sysRoot, file);
    const rec = { path: rel, data };
    this.writes.push(rec);
    this.onWrite?.(rec);
    let m: RegExpExecArray | null;
    if ((m = /^bus\/pci\/devices\/([^/]+)\/driver_override$/.exec(rel))) {
      writeFileSync(file, data.replace(/\n$/, ''));
    } else if ((m = /^bus\/pci\/drivers\/([^/]+)\/unbind$/.exec(rel))) {
      if (this.fake.driverOf(data) !== m[1]) throw errno('ENODEV', file);
      this.fake.setDriver(data, null);
    } else if ((m = /^bus\/pci\/drivers\/([^/]+)\/bind$/.exec(rel))) {
      if (this.fake.driverOf(data) !== null) throw errno('EBUSY', file);
      if (!this.probe(data, m[1]!)) throw errno('ENODEV', file);
    } else if (rel === 'bus/pci/drivers_probe') {
      if (!existsSync(path.join(this.fake.sysRoot, 'bus/pci/devices', data))) throw errno('ENODEV', file);
      if (this.fake.driverOf(data) !== null) return;
      const override = readFileSync(path.join(this.fake.sysRoot, 'bus/pci/devices', data, 'driver_override'), 'utf8').trim();
      const wanted = override !== '' && override !== '(null)' ? override : this.fake.spec.devices.find((d) => d.address === data)?.nativeDriver;
      if (wanted !== undefined) this.probe(data, wanted);
    } else {
      writeFileSync(file, data);
    }
  }

  private probe(addr: string, driver: string): boolean {
    if (!existsSync(path.join(this.fake.sysRoot, 'bus/pci/drivers', driver))) return false;
    if (this.failingProbes.has(driver)) return false;
    const group = this.fake.groupOf(addr);
    if (driver === 'vfio-pci') {
      if (group === null) return false; // vfio-pci refuses a device without an IOMMU group
      this.fake.ensureVfioNode(group);
    }
    this.fake.setDriver(addr, driver);
    return true;
  }
}

function errno(code: string, file: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: write ${file}`);
  err.code = code;
  return err;
}

export class FakeSys {
  readonly root: string;
  readonly sysRoot: string;
  readonly devRoot: string;
  readonly passwdPath: string;
  /** A fake `getent` (a shell script over etc/nss-passwd and etc/nss-group: the files plus directory entries). */
  readonly getentPath: string;
  readonly groupPath: string;
  /** A fake /proc: empty until `holdGroup` adds a process. */
  readonly procRoot: string;
  readonly kernel: FakeKernel;

  constructor(readonly spec: FakeSysSpec) {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'ixgbevf-fakesys-'));
    this.sysRoot = path.join(this.root, 'sys');
    this.devRoot = path.join(this.root, 'dev');
    this.passwdPath = path.join(this.root, 'etc/passwd');
    this.procRoot = path.join(this.root, 'proc');
    this.getentPath = path.join(this.root, 'bin/getent');
    this.groupPath = path.join(this.root, 'etc/group');
    this.kernel = new FakeKernel(this);
    this.build();
  }

  /** Options for src/pci with plain-file writes (no simulated kernel). */
  get plainOpts(): SysfsOptions {
    return { sysRoot: this.sysRoot, devRoot: this.devRoot, passwdPath: this.passwdPath, procRoot: this.procRoot, getentCommand: this.getentPath };
  }

  /** Options for src/pci whose writes go through the simulated kernel. */
  get opts(): SysfsOptions {
    return { ...this.plainOpts, writer: this.kernel };
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  private s(...p: string[]): string {
    return path.join(this.sysRoot, ...p);
  }

  /** The device's directory (where `bus/pci/devices/<addr>` points). */
  devDir(addr: string): string {
    return this.s(PCI_ROOT, addr);
  }

  /** The environment that points the real `ixgbevf` process at this tree. */
  get env(): NodeJS.ProcessEnv {
    return { IXGBEVF_SYSFS_ROOT: this.sysRoot, IXGBEVF_DEV_ROOT: this.devRoot, IXGBEVF_PROC_ROOT: this.procRoot };
  }

  driverOf(addr: string): string | null {
    try {
      return path.basename(readlinkSync(path.join(this.devDir(addr), 'driver')));
    } catch {
      return null;
    }
  }

  groupOf(addr: string): number | null {
    try {
      return Number(path.basename(readlinkSync(path.join(this.devDir(addr), 'iommu_group'))));
    } catch {
      return null;
    }
  }

  setDriver(addr: string, driver: string | null): void {
    const link = path.join(this.devDir(addr), 'driver');
    if (existsSync(link) || this.driverOf(addr) !== null) unlinkSync(link);
    if (driver !== null) symlinkSync(`../../../bus/pci/drivers/${driver}`, link);
  }

  readOverride(addr: string): string {
    return readFileSync(path.join(this.devDir(addr), 'driver_override'), 'utf8');
  }

  ensureVfioNode(group: number, node: FakeVfioNode = { group }): string {
    const noiommu = node.noiommu ?? (!this.hasIommu() && this.spec.noiommu === true);
    const file = path.join(this.devRoot, 'vfio', noiommu ? `noiommu-${group}` : String(group));
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '');
      chmodSync(file, node.mode ?? 0o600);
    }
    return file;
  }

  /** A process `pid` (command `comm`) with `/dev/vfio/<group>` open as fd 3, as /proc shows it. */
  holdGroup(pid: number, group: number, comm = 'qemu-system-x86'): void {
    const dir = path.join(this.procRoot, String(pid));
    mkdirSync(path.join(dir, 'fd'), { recursive: true });
    writeFileSync(path.join(dir, 'comm'), `${comm}\n`);
    symlinkSync('/dev/null', path.join(dir, 'fd', '0'));
    symlinkSync(path.join(this.devRoot, 'vfio', String(group)), path.join(dir, 'fd', '3'));
  }

  private hasIommu(): boolean {
    return existsSync(this.s('class/iommu')) && readdirSync(this.s('class/iommu')).length > 0;
  }

  private build(): void {
    const spec = this.spec;
    const modules = spec.modules ?? ['vfio', 'vfio_pci', 'vfio_iommu_type1'];
    mkdirSync(this.s(PCI_ROOT), { recursive: true });
    mkdirSync(this.s('bus/pci/devices'), { recursive: true });
    mkdirSync(this.s('bus/pci/drivers'), { recursive: true });
    mkdirSync(this.s('class/net'), { recursive: true });
    mkdirSync(this.s('class/iommu'), { recursive: true });
    mkdirSync(this.s('kernel/iommu_groups'), { recursive: true });
    writeFileSync(this.s('bus/pci/drivers_probe'), '');
    if (spec.iommu !== false) mkdirSync(this.s('class/iommu/dmar0'));
    for (const m of modules) mkdirSync(this.s('module', m), { recursive: true });
    if (modules.includes('vfio')) {
      mkdirSync(this.s('module/vfio/parameters'), { recursive: true });
      writeFileSync(this.s('module/vfio/parameters/enable_unsafe_noiommu_mode'), spec.noiommu === true ? 'Y\n' : 'N\n');
    }
    const drivers = new Set(spec.drivers ?? []);
    if (modules.includes('vfio_pci')) drivers.add('vfio-pci');
    for (const d of spec.devices) {
      if (d.driver) drivers.add(d.driver);
    }
    for (const drv of drivers) {
      mkdirSync(this.s('bus/pci/drivers', drv), { recursive: true });
      for (const f of ['bind', 'unbind', 'new_id']) writeFileSync(this.s('bus/pci/drivers', drv, f), '');
    }
    const hex = (n: number, w: number): string => `0x${n.toString(16).padStart(w, '0')}\n`;
    for (const d of spec.devices) {
      const dir = this.devDir(d.address);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'vendor'), hex(d.vendor ?? 0x8086, 4));
      writeFileSync(path.join(dir, 'device'), hex(d.device, 4));
      writeFileSync(path.join(dir, 'subsystem_vendor'), hex(d.subsystemVendor ?? 0x8086, 4));
      writeFileSync(path.join(dir, 'subsystem_device'), hex(d.subsystemDevice ?? 0, 4));
      writeFileSync(path.join(dir, 'class'), hex(d.classCode ?? 0x020000, 6));
      writeFileSync(path.join(dir, 'driver_override'), `${d.driverOverride ?? '(null)'}\n`);
      symlinkSync(`../../../${PCI_ROOT}/${d.address}`, this.s('bus/pci/devices', d.address));
      if (d.driver) this.setDriver(d.address, d.driver);
      if (d.iommuGroup !== undefined && d.iommuGroup !== null) {
        const g = this.s('kernel/iommu_groups', String(d.iommuGroup), 'devices');
        mkdirSync(g, { recursive: true });
        symlinkSync(`../../../kernel/iommu_groups/${d.iommuGroup}`, path.join(dir, 'iommu_group'));
        symlinkSync(`../../../../${PCI_ROOT}/${d.address}`, path.join(g, d.address));
      }
      if (d.sriov) {
        const vfs = spec.devices.filter((v) => v.pf === d.address);
        writeFileSync(path.join(dir, 'sriov_totalvfs'), `${d.sriov.totalVfs}\n`);
        writeFileSync(path.join(dir, 'sriov_numvfs'), `${vfs.length}\n`);
        writeFileSync(path.join(dir, 'sriov_drivers_autoprobe'), `${d.sriov.autoprobe === false ? 0 : 1}\n`);
        vfs.forEach((vf, i) => symlinkSync(`../${vf.address}`, path.join(dir, `virtfn${i}`)));
      }
      if (d.pf) symlinkSync(`../${d.pf}`, path.join(dir, 'physfn'));
      for (const n of d.netdevs ?? []) {
        const nd = path.join(dir, 'net', n.name);
        mkdirSync(nd, { recursive: true });
        const up = n.up !== false;
        writeFileSync(path.join(nd, 'operstate'), `${n.operstate ?? (up ? 'up' : 'down')}\n`);
        writeFileSync(path.join(nd, 'flags'), up ? '0x1003\n' : '0x1002\n');
        symlinkSync(`../../${PCI_ROOT}/${d.address}/net/${n.name}`, this.s('class/net', n.name));
      }
    }
    mkdirSync(path.join(this.devRoot, 'vfio'), { recursive: true });
    mkdirSync(this.procRoot, { recursive: true });
    if (modules.includes('vfio')) {
      writeFileSync(path.join(this.devRoot, 'vfio/vfio'), '');
      chmodSync(path.join(this.devRoot, 'vfio/vfio'), 0o666);
    }
    const nodes =
      spec.vfioNodes ??
      spec.devices.filter((d) => d.driver === 'vfio-pci' && d.iommuGroup != null).map((d) => ({ group: d.iommuGroup! }));
    for (const n of nodes) this.ensureVfioNode(n.group, n);
    mkdirSync(path.dirname(this.passwdPath), { recursive: true });
    const passwd = spec.passwd ?? 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
    const group = spec.group ?? 'root:x:0:\nalice:x:1000:\nnogroup:x:65534:\n';
    writeFileSync(this.passwdPath, passwd);
    writeFileSync(this.groupPath, group);
    const etc = path.dirname(this.passwdPath);
    writeFileSync(path.join(etc, 'nss-passwd'), passwd + (spec.directoryUsers ?? ''));
    writeFileSync(path.join(etc, 'nss-group'), group + (spec.directoryGroups ?? ''));
    mkdirSync(path.dirname(this.getentPath), { recursive: true });
    // getent's contract: the entry on stdout and exit 0, or exit 2 when the key is unknown.
    writeFileSync(
      this.getentPath,
      `#!/bin/sh\ncase "$2" in *[!0-9]*) col=1 ;; *) col=3 ;; esac\nexec awk -F: -v k="$2" -v c="$col" '$c == k { print; f = 1; exit } END { exit f ? 0 : 2 }' "${etc}/nss-$1"\n`,
    );
    chmodSync(this.getentPath, 0o755);
  }
}

/** Common scenario: an 82599 PF (ixgbe, enp1s0f0) at 0000:01:00.0 with 2 VFs at 0000:01:10.0 and 0000:01:10.2. */
export function sriov82599(over: {
  pfUp?: boolean;
  vfDrivers?: [string | null, string | null];
  /** Groups: PF 1, VFs 20/21 by default; `shared` puts the PF and VF0 in group 1. */
  groups?: 'separate' | 'shared' | 'none';
  iommu?: boolean;
  noiommu?: boolean;
  modules?: string[];
  vfioNodes?: FakeVfioNode[];
  autoprobe?: boolean;
} = {}): FakeSpecAndNames {
  const groups = over.groups ?? 'separate';
  const g = (n: number): number | null => (groups === 'none' ? null : n);
  const spec: FakeSysSpec = {
    iommu: over.iommu ?? true,
    noiommu: over.noiommu ?? false,
    ...(over.modules ? { modules: over.modules } : {}),
    ...(over.vfioNodes ? { vfioNodes: over.vfioNodes } : {}),
    drivers: ['ixgbevf', 'pcieport'],
    devices: [
      { address: '0000:00:01.0', device: 0x1901, classCode: 0x060400, driver: 'pcieport', iommuGroup: g(1) },
      {
        address: '0000:01:00.0',
        device: 0x10fb,
        subsystemDevice: 0x000c,
        driver: 'ixgbe',
        iommuGroup: g(1),
        sriov: { totalVfs: 63, autoprobe: over.autoprobe ?? true },
        netdevs: [{ name: 'enp1s0f0', up: over.pfUp ?? true }],
      },
      {
        address: '0000:01:10.0',
        device: 0x10ed,
        pf: '0000:01:00.0',
        driver: over.vfDrivers?.[0] === undefined ? 'vfio-pci' : over.vfDrivers[0],
        iommuGroup: g(groups === 'shared' ? 1 : 20),
        nativeDriver: 'ixgbevf',
      },
      {
        address: '0000:01:10.2',
        device: 0x10ed,
        pf: '0000:01:00.0',
        driver: over.vfDrivers?.[1] === undefined ? 'ixgbevf' : over.vfDrivers[1],
        iommuGroup: g(21),
        nativeDriver: 'ixgbevf',
        netdevs: [{ name: 'enp1s0f0v1' }],
      },
    ],
  };
  return { spec, pf: '0000:01:00.0', vf0: '0000:01:10.0', vf1: '0000:01:10.2' };
}

export interface FakeSpecAndNames {
  spec: FakeSysSpec;
  pf: string;
  vf0: string;
  vf1: string;
}
