/**
 * `ixgbevf doctor` as data: a list of checks, each pass/warn/fail with a one-line message and, when
 * something is missing, the exact command that fixes it. Memlock limits and hugepages are deliberately
 * not checked: this driver does no DMA (mailbox = MMIO + one interrupt), so neither applies.
 */
import os from 'node:os';
import { parsePciAddress, type PciAddress } from './address.js';
import { NO_IOMMU_HINT, VFIO_PCI } from './bind.js';
import { classifyVf, formatIds, type VfClassifier } from './classify.js';
import { problemOf, readNetdevState, readPciDevice, pciDeviceExists, scanSriovPfs, type PciDeviceInfo } from './discovery.js';
import { assessGroupViability, describeMembers, groupMemberFix, inspectVfioNode, readVfioEnvironment, type VfioEnvironment } from './iommu.js';
import type { SysfsOptions } from './sysfs.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  id: string;
  status: CheckStatus;
  message: string;
  /** The command (or step) that fixes it. */
  fix?: string;
  details?: Record<string, unknown>;
}

export interface DoctorReport {
  target: PciAddress | null;
  /** No check failed. */
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions extends SysfsOptions {
  classify?: VfClassifier;
  /** The user to name in `chown` fixes; default $SUDO_USER, else the current user. */
  user?: string;
}

function defaultUser(): string {
  if (process.env.SUDO_USER) return process.env.SUDO_USER;
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'USER');
  }
}

function systemChecks(env: VfioEnvironment): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  if (env.iommuPresent) {
    checks.push({ id: 'iommu', status: 'pass', message: `IOMMU enabled (${env.iommuUnits.join(', ')})` });
  } else if (env.noiommuMode === true) {
    checks.push({
      id: 'iommu',
      status: 'warn',
      message: 'no IOMMU; VFIO unsafe noiommu mode is on (enough here: this driver does no DMA, but the kernel is tainted and nothing is isolated)',
    });
  } else {
    checks.push({ id: 'iommu', status: 'fail', message: 'no IOMMU enabled (/sys/class/iommu is empty) and VFIO noiommu mode is off', fix: NO_IOMMU_HINT });
  }
  checks.push(
    env.vfioLoaded
      ? { id: 'vfio-module', status: 'pass', message: 'vfio loaded' }
      : { id: 'vfio-module', status: 'fail', message: 'the vfio module is not loaded', fix: 'modprobe vfio-pci' },
  );
  checks.push(
    env.vfioPciLoaded || env.vfioPciDriver
      ? { id: 'vfio-pci-module', status: 'pass', message: 'vfio-pci loaded' }
      : { id: 'vfio-pci-module', status: 'fail', message: 'the vfio-pci module is not loaded', fix: 'modprobe vfio-pci' },
  );
  if (env.vfioLoaded) {
    checks.push(
      env.container.accessible
        ? { id: 'vfio-container', status: 'pass', message: `${env.container.path} accessible` }
        : {
            id: 'vfio-container',
            status: 'fail',
            message: `${env.container.path} ${env.container.exists ? `not accessible (${env.container.accessError})` : 'missing'}`,
            fix: env.container.exists ? `chmod 0666 ${env.container.path}` : 'modprobe vfio-pci',
          },
    );
  }
  checks.push({
    id: 'memlock',
    status: 'pass',
    message: 'memlock limits and hugepages are not needed: this driver does no DMA',
  });
  return checks;
}

async function pfChecks(vf: PciDeviceInfo, opts: DoctorOptions): Promise<DoctorCheck[]> {
  if (vf.physfn === null) return [];
  let pf: PciDeviceInfo;
  try {
    pf = await readPciDevice(vf.physfn, opts);
  } catch (err) {
    const p = problemOf(err, vf.physfn);
    return [{ id: 'pf-up', status: 'fail', message: `the PF ${vf.physfn} cannot be read: ${p.message}`, fix: 'ixgbevf list', details: { ...p } }];
  }
  const checks: DoctorCheck[] = [];
  if (pf.driver === VFIO_PCI) {
    checks.push({
      id: 'pf-up',
      status: 'warn',
      message: `the PF ${pf.address} is bound to vfio-pci: no Linux PF driver answers the mailbox (and opening the VF needs the PF's vf_token)`,
      // ixgbevf never unbinds a PF (bind.ts): give it back to its kernel driver through sysfs.
      fix: `echo > /sys/bus/pci/devices/${pf.address}/driver_override; echo ${pf.address} > /sys/bus/pci/drivers/vfio-pci/unbind; echo ${pf.address} > /sys/bus/pci/drivers_probe`,
    });
  } else if (pf.netdevs.length === 0) {
    checks.push({
      id: 'pf-up',
      status: 'fail',
      message: `the PF ${pf.address} has no network interface (driver: ${pf.driver ?? 'none'}), so nothing answers the VF's mailbox`,
      fix: pf.driver === null ? `modprobe ixgbe` : `ls /sys/bus/pci/devices/${pf.address}/net`,
    });
  }
  for (const ifname of pf.netdevs) {
    const st = await readNetdevState(ifname, opts);
    const details = { pf: pf.address, ifname, operstate: st.operstate, flags: st.flags };
    if (st.adminUp === false) {
      checks.push({
        id: 'pf-up',
        status: 'fail',
        message: `the PF interface ${ifname} is down: the PF keeps its VFs in reset until it is up`,
        fix: `ip link set ${ifname} up`,
        details,
      });
    } else if (st.adminUp === null) {
      checks.push({ id: 'pf-up', status: 'warn', message: `cannot read the state of the PF interface ${ifname}`, fix: `ip link show ${ifname}`, details });
    } else {
      const carrier = st.operstate === 'up' ? '' : ` (operstate ${st.operstate ?? 'unknown'}: no carrier; the mailbox still works, the VF sees link down)`;
      checks.push({ id: 'pf-up', status: 'pass', message: `the PF interface ${ifname} is up${carrier}`, details });
    }
  }
  if (pf.sriov !== null && pf.sriov.driversAutoprobe !== null) {
    checks.push({
      id: 'autoprobe',
      status: 'pass',
      message: pf.sriov.driversAutoprobe
        ? `sriov_drivers_autoprobe=1 on ${pf.address}: VFs created from now on are grabbed by ixgbevf (write 0 to it before sriov_numvfs to keep new VFs free)`
        : `sriov_drivers_autoprobe=0 on ${pf.address}: new VFs stay unbound until bound`,
      details: { pf: pf.address, driversAutoprobe: pf.sriov.driversAutoprobe },
    });
  }
  return checks;
}

async function vfChecks(addr: PciAddress, opts: DoctorOptions): Promise<DoctorCheck[]> {
  const classify = opts.classify ?? classifyVf;
  const user = opts.user ?? defaultUser();
  if (!(await pciDeviceExists(addr, opts))) {
    return [{ id: 'device', status: 'fail', message: `no PCI device ${addr}`, fix: 'ixgbevf list' }];
  }
  let dev: PciDeviceInfo;
  try {
    dev = await readPciDevice(addr, opts);
  } catch (err) {
    const p = problemOf(err, addr);
    return [{ id: 'device', status: 'fail', message: `${addr} cannot be read: ${p.message}`, fix: 'ixgbevf list', details: { ...p } }];
  }
  const ids = formatIds(dev);
  const checks: DoctorCheck[] = [{ id: 'device', status: 'pass', message: `${addr} present (${ids})`, details: { ...dev } }];

  const cls = classify(dev);
  if (cls.kind === 'hyperv') {
    checks.push({ id: 'family', status: 'fail', message: `${addr} (${ids}) is a Hyper-V VF: it has no hardware mailbox, this driver cannot talk to its PF` });
  } else if (cls.kind === 'unknown') {
    checks.push({ id: 'family', status: 'fail', message: `${addr} (${ids}) is not a known Intel ixgbe or igb VF`, fix: 'ixgbevf list' });
  } else {
    checks.push({ id: 'family', status: 'pass', message: `${cls.model} VF (${cls.kind}, ${ids})`, details: { ...cls } });
  }

  if (dev.physfn === null) {
    checks.push({
      id: 'vf',
      status: dev.sriov !== null ? 'fail' : 'warn',
      message:
        dev.sriov !== null
          ? `${addr} is a PF (SR-IOV, ${dev.sriov.numVfs ?? '?'}/${dev.sriov.totalVfs ?? '?'} VFs), not a VF`
          : `${addr} has no physfn: a VF passed through into this VM, or not a VF; PF checks skipped`,
      ...(dev.sriov !== null ? { fix: `ixgbevf list` } : {}),
    });
  } else {
    checks.push({ id: 'vf', status: 'pass', message: `VF ${dev.vfIndex ?? '?'} of PF ${dev.physfn}`, details: { pf: dev.physfn, vfIndex: dev.vfIndex } });
  }
  // A PF, a Hyper-V VF or another device: this driver cannot use it and `ixgbevf bind` refuses it, so the
  // checks below (whose fix is that bind) do not apply; the failures above say what it is.
  const isPf = dev.physfn === null && dev.sriov !== null;
  if (isPf || (cls.kind !== 'ixgbevf' && cls.kind !== 'igbvf')) return checks;

  if (dev.driver === VFIO_PCI) {
    checks.push({ id: 'driver', status: 'pass', message: 'bound to vfio-pci' });
  } else {
    // driver_override=vfio-pci on a VF not on vfio-pci: an `ixgbevf bind` killed before its unbind or probe.
    const override =
      dev.driverOverride === null
        ? ''
        : dev.driverOverride === VFIO_PCI
          ? ` (driver_override=${VFIO_PCI}: a bind that did not finish; a re-probe hands it to ${VFIO_PCI})`
          : ` (driver_override=${dev.driverOverride})`;
    checks.push({
      id: 'driver',
      status: 'fail',
      message: `${dev.driver === null ? 'not bound to any driver' : `bound to ${dev.driver}`}, not vfio-pci${override}`,
      fix: `ixgbevf bind ${addr}`,
      details: { driver: dev.driver, driverOverride: dev.driverOverride },
    });
  }

  if (dev.iommuGroup === null) {
    checks.push({ id: 'iommu-group', status: 'fail', message: `${addr} is in no IOMMU group`, fix: NO_IOMMU_HINT });
    checks.push(...(await pfChecks(dev, opts)));
    return checks;
  }
  const group = await assessGroupViability(dev.iommuGroup, opts);
  // The VF itself is handled by the `driver` check: judge the group as if it were bound.
  const others = group.offenders.filter((m) => m.address !== addr);
  if (others.length === 0) {
    checks.push({
      id: 'group-viable',
      status: 'pass',
      message: `IOMMU group ${group.group} ${group.members.length === 1 ? 'holds only this VF' : `is viable: ${describeMembers(group.members)}`}`,
      details: { ...group },
    });
  } else {
    const fixes = others.map((m) => groupMemberFix(m, dev.physfn, opts));
    checks.push({
      id: 'group-viable',
      status: 'fail',
      message: `IOMMU group ${group.group} is not viable: not all devices are bound to vfio-pci or unbound: ${describeMembers(group.members)}`,
      fix: fixes.join('; '),
      details: { ...group },
    });
  }

  const node = await inspectVfioNode(dev.iommuGroup, opts);
  const nodeDetails = { ...node };
  if (!node.exists) {
    checks.push({
      id: 'vfio-node',
      status: 'fail',
      message: `${node.path} does not exist${dev.driver === VFIO_PCI ? '' : ' (it appears once the VF is bound to vfio-pci)'}`,
      fix: `ixgbevf bind ${addr}`,
      details: nodeDetails,
    });
  } else if (!node.accessible) {
    checks.push({
      id: 'vfio-node',
      status: 'fail',
      message: `${node.path} (uid ${node.uid}, gid ${node.gid}, mode ${node.mode?.toString(8).padStart(4, '0')}) is not accessible to this user (${node.accessError})`,
      fix: `chown ${user} ${node.path}   # or: ixgbevf bind ${addr} --user ${user}`,
      details: nodeDetails,
    });
  } else {
    checks.push({ id: 'vfio-node', status: 'pass', message: `${node.path} accessible${node.noiommu ? ' (noiommu group)' : ''}`, details: nodeDetails });
  }

  checks.push(...(await pfChecks(dev, opts)));
  return checks;
}

/** Runs every check for the system, and for `vf` when given (an invalid address throws exit 2). */
export async function diagnose(vf?: string, opts: DoctorOptions = {}): Promise<DoctorReport> {
  const target = vf === undefined ? null : parsePciAddress(vf);
  const checks = systemChecks(await readVfioEnvironment(opts));
  if (target !== null) {
    checks.push(...(await vfChecks(target, opts)));
  } else {
    const { pfs, problems } = await scanSriovPfs(opts);
    checks.push(
      pfs.length > 0
        ? { id: 'sriov', status: 'pass', message: `SR-IOV PFs: ${pfs.map((p) => `${p.address} (${p.netdevs.join(',') || p.driver || 'no driver'}, ${p.sriov?.numVfs ?? '?'}/${p.sriov?.totalVfs ?? '?'} VFs)`).join(', ')}` }
        : { id: 'sriov', status: 'warn', message: 'no SR-IOV capable device found', fix: 'lspci -nnk | grep -i ethernet' },
    );
    // A device that cannot be read is reported, and the others still checked.
    for (const p of problems) {
      checks.push({ id: 'sriov', status: 'warn', message: `${p.address ?? '?'} cannot be read: ${p.message}`, fix: 'ixgbevf list', details: { ...p } });
    }
  }
  return { target, ok: checks.every((c) => c.status !== 'fail'), checks };
}
