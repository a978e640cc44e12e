/** Host-side commands over sysfs and `ip`: list, doctor, bind, unbind. Presentation over src/pci. */
import { InvalidArgumentError, isIxgbevfError } from '../errors.js';
import { bindToVfio, unbindDevice } from '../pci/bind.js';
import { diagnose } from '../pci/doctor.js';
import { inventoryReport, type PfInventory } from '../pci/inventory.js';
import type { EntryProblem } from '../pci/discovery.js';
import { describeMembers } from '../pci/iommu.js';
import { parsePciAddress, type PciAddress } from '../pci/address.js';
import { classifyVf } from '../pci/classify.js';
import { readPciDevice, readSriov } from '../pci/discovery.js';
import type { Ctx } from './context.js';
import { table } from './format.js';
import { unreadableReplyError } from './client.js';

interface DaemonInfo {
  pid: number;
  socket: string;
  vfs: { id: string; state: string }[];
}

/** The running daemon's status, or null (no daemon, or we may not ask it). */
async function daemonStatus(ctx: Ctx): Promise<{ status: DaemonInfo | null; error: string | null }> {
  try {
    const client = await ctx.connectDaemon();
    if (client === null) return { status: null, error: null };
    try {
      const status = await client.request<DaemonInfo>('status');
      if (!Array.isArray(status.vfs)) throw unreadableReplyError(ctx.socketPath, 'status without a list of VFs');
      return { status, error: null };
    } finally {
      client.close();
    }
  } catch (err) {
    if (ctx.socketExplicit) throw err; // the user named this daemon: not reaching it is the answer
    return { status: null, error: (err as Error).message };
  }
}

const onOff = (v: boolean | null | undefined): string => (v === true ? 'on' : v === false ? 'off' : '-');

export async function listCommand(ctx: Ctx): Promise<void> {
  const { pfs, problems } = await inventoryReport({ ...ctx.sysfs, ip: { env: ctx.io.env } });
  const { status, error } = await daemonStatus(ctx);
  const ownedState = new Map((status?.vfs ?? []).map((v) => [v.id, v.state]));
  const doc = {
    daemon: status === null ? null : { pid: status.pid, socket: status.socket, vfs: status.vfs.map((v) => ({ id: v.id, state: v.state })) },
    ...(error === null ? {} : { daemonError: error }),
    pfs: pfs.map((pf) => pfJson(pf, ownedState)),
    problems,
  };
  const lines: string[] = [];
  if (pfs.length === 0 && problems.length === 0) lines.push('no SR-IOV capable PF found (what is missing: ixgbevf doctor)');
  for (const p of problems) lines.push(`PF ${p.address ?? '?'}: not listed: ${p.message}`);
  for (const pf of pfs) {
    const d = pf.device;
    const netdevs = pf.netdevs.map((n) => `${n.ifname} ${n.adminUp === true ? 'up' : n.adminUp === false ? 'DOWN' : '?'}${n.operstate ? `/${n.operstate}` : ''}`).join(', ');
    lines.push(`PF ${d.address}  driver ${d.driver ?? 'none'}  ${netdevs || 'no netdev'}  VFs ${d.sriov?.numVfs ?? '?'}/${d.sriov?.totalVfs ?? '?'}`);
    if (pf.netdevs.some((n) => n.adminUp === false)) lines.push(`  the PF interface is down: its VFs stay in reset (ip link set ${pf.netdevs[0]!.ifname} up)`);
    if (pf.ipError !== null) lines.push(`  PF view unavailable: ${pf.ipError}`);
    for (const p of pf.problems) lines.push(`  ${problemLine(p)}`);
    if (pf.vfs.length === 0) {
      if (pf.problems.length > 0) continue;
      const dir = `/sys/bus/pci/devices/${d.address}`;
      lines.push(`  no VFs (create some: echo 0 > ${dir}/sriov_drivers_autoprobe; echo 2 > ${dir}/sriov_numvfs)`);
      continue;
    }
    // A VF still on its kernel driver makes its own group "not viable"; that is the DRIVER column's news.
    const others = (vf: (typeof pf.vfs)[number]) => vf.groupOffenders.filter((m) => m.address !== vf.device.address);
    const rows = pf.vfs.map((vf) => {
      const v = vf.pfView;
      const group = vf.device.iommuGroup === null ? 'none' : `${vf.device.iommuGroup}${others(vf).length > 0 ? ' NOT viable' : ''}`;
      return [
        String(vf.index),
        vf.device.address,
        vf.class.kind === 'hyperv' ? 'Hyper-V' : (vf.class.model ?? 'unknown'),
        vf.device.driver ?? 'none',
        group,
        v?.mac ?? '-',
        onOff(v?.trust),
        onOff(v?.spoofchk),
        v?.linkState ?? '-',
        ownedState.has(vf.device.address) ? `daemon${ownedState.get(vf.device.address) === 'ready' ? '' : ` (${ownedState.get(vf.device.address)})`}` : '-',
      ];
    });
    for (const l of table(['VF', 'ADDRESS', 'FAMILY', 'DRIVER', 'GROUP', 'MAC (PF view)', 'TRUST', 'SPOOFCHK', 'LINK', 'OWNER'], rows)) lines.push(`  ${l}`);
    for (const vf of pf.vfs) {
      if (others(vf).length > 0) {
        lines.push(`  group ${vf.device.iommuGroup} of ${vf.device.address} is not viable: ${describeMembers(others(vf))} (bind them to vfio-pci too, or separate the group)`);
      }
    }
  }
  if (status !== null) {
    // A VF the daemon released (the kernel took it back, or it went away) is no longer driven by it.
    const owned = status.vfs.filter((v) => v.state !== 'released').map((v) => v.id);
    const released = status.vfs.filter((v) => v.state === 'released').map((v) => v.id);
    lines.push(
      `daemon pid ${status.pid} on ${status.socket} owns ${owned.join(', ') || 'nothing'}` +
        (released.length === 0 ? '' : `; released ${released.join(', ')} (the kernel took it back: once it is on vfio-pci again, restart the daemon to take it: systemctl restart ixgbevf)`),
    );
  }
  else if (error !== null) lines.push(`daemon: ${error}`);
  ctx.print(doc, lines);
}

/** One line for a VF `list` could not show: where it was found, and why. */
function problemLine(p: EntryProblem): string {
  const where = p.link === null ? '' : `${p.link.split('/').pop()}${p.address === null ? '' : ` → ${p.address}`}: `;
  return `VF ${where}not listed: ${p.message}`;
}

function pfJson(pf: PfInventory, owned: Map<string, string>): Record<string, unknown> {
  const d = pf.device;
  return {
    address: d.address,
    driver: d.driver,
    netdevs: pf.netdevs,
    numVfs: d.sriov?.numVfs ?? null,
    totalVfs: d.sriov?.totalVfs ?? null,
    ipError: pf.ipError,
    vfs: pf.vfs.map((vf) => ({
      index: vf.index,
      address: vf.device.address,
      kind: vf.class.kind,
      family: vf.class.model,
      driver: vf.device.driver,
      iommuGroup: vf.device.iommuGroup,
      groupViable: vf.groupViable,
      groupOffenders: vf.groupOffenders.map((m) => ({ address: m.address, driver: m.driver })),
      vfioNode: vf.vfioNode,
      pfView: vf.pfView,
      owner: owned.has(vf.device.address) ? { daemon: true, state: owned.get(vf.device.address) } : null,
    })),
    problems: pf.problems,
  };
}

export async function doctorCommand(ctx: Ctx, vf: string | undefined): Promise<boolean> {
  if (vf !== undefined && (vf === 'sim' || vf.startsWith('sim:'))) {
    throw new InvalidArgumentError('ERR_INVALID_VF', 'doctor checks a real VF: the simulated VF needs nothing', { hint: 'ixgbevf info sim' });
  }
  const report = await diagnose(vf, ctx.sysfs);
  const mark = { pass: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  const lines: string[] = [];
  for (const c of report.checks) {
    lines.push(`[${mark[c.status]}] ${c.message}`);
    if (c.fix !== undefined && c.status !== 'pass') lines.push(`       fix: ${c.fix}`);
  }
  const fails = report.checks.filter((c) => c.status === 'fail').length;
  const warns = report.checks.filter((c) => c.status === 'warn').length;
  lines.push(fails === 0 ? `ready${warns > 0 ? ` (${warns} warning${warns === 1 ? '' : 's'})` : ''}` : `${fails} check${fails === 1 ? '' : 's'} failed`);
  ctx.print(report, lines);
  return report.ok;
}

function driverctlNote(addr: string, driver: string | null): string {
  return driver === 'vfio-pci'
    ? `not persistent: a reboot or re-creating the VFs forgets it. To make it stick: driverctl set-override ${addr} vfio-pci`
    : `not persistent. If an override was saved with driverctl, remove it: driverctl unset-override ${addr}`;
}

export async function bindCommand(ctx: Ctx, vfArg: string, opts: { user?: string; force?: boolean }): Promise<void> {
  const addr = parsePciAddress(vfArg);
  const r = await bindToVfio(addr, {
    ...ctx.sysfs,
    ...(opts.user === undefined ? {} : { user: opts.user }),
    ...(opts.force === true ? { force: true } : {}),
  });
  const note = driverctlNote(addr, 'vfio-pci');
  const lines = [
    r.changed ? `${addr}: bound to vfio-pci (was ${r.previousDriver ?? 'unbound'})` : `${addr}: already bound to vfio-pci`,
  ];
  if (r.iommuGroup !== null) {
    lines.push(`IOMMU group ${r.iommuGroup}: ${r.group?.viable === false ? `NOT viable (${describeMembers(r.group.offenders)}): bind those to vfio-pci too or move them` : 'viable'}`);
  }
  if (r.vfioNode !== null) {
    const n = r.vfioNode;
    lines.push(`${n.path}: ${n.exists ? `owner ${n.uid}:${n.gid} mode ${(n.mode ?? 0).toString(8)}` : 'missing'}`);
  }
  if (r.chowned !== null) lines.push(`chowned ${r.chowned.path} to uid ${r.chowned.uid}`);
  lines.push(note);
  ctx.print({ ...r, persistent: false, note }, lines);
}

export async function unbindCommand(ctx: Ctx, vfArg: string, opts: { driver?: string; from?: string; force?: boolean }): Promise<void> {
  const addr = parsePciAddress(vfArg);
  const r = await unbindDevice(addr, {
    ...ctx.sysfs,
    restore: opts.driver ?? true,
    ...(opts.from === undefined ? {} : { from: opts.from }),
    ...(opts.force === true ? { force: true } : {}),
  });
  const note = driverctlNote(addr, null);
  const noDriver = r.driver === null && opts.driver === undefined ? await noDriverTookIt(ctx, addr) : null;
  const lines = [
    `${addr}: unbound from ${r.previousDriver ?? 'no driver'}; now ${r.driver === null ? 'unbound' : `bound to ${r.driver}`}`,
    ...(noDriver === null ? [] : [noDriver.line]),
    note,
  ];
  ctx.print({ ...r, persistent: false, note, hint: noDriver?.fix ?? null }, lines);
}

/**
 * After a plain unbind that left the VF on no driver: when its PF's sriov_drivers_autoprobe is 0, the kernel
 * binds no driver to its VFs on its own (pci_device_can_probe(), drivers/pci/pci-driver.c), so say that and
 * name the command that gives the VF its own driver. Null otherwise (or when sysfs cannot tell).
 */
async function noDriverTookIt(ctx: Ctx, addr: PciAddress): Promise<{ line: string; fix: string } | null> {
  try {
    const dev = await readPciDevice(addr, ctx.sysfs);
    if (dev.physfn === null) return null;
    if ((await readSriov(dev.physfn, ctx.sysfs))?.driversAutoprobe !== false) return null;
    const { kind } = classifyVf(dev);
    if (kind !== 'ixgbevf' && kind !== 'igbvf') return null;
    const fix = `ixgbevf unbind ${addr} --driver ${kind}`;
    return { line: `no driver took it: ${dev.physfn} has sriov_drivers_autoprobe=0, so the kernel binds no driver to its VFs on its own; to give it to ${kind}: ${fix}`, fix };
  } catch (err) {
    if (isIxgbevfError(err)) return null; // sysfs could not tell: the hint is left out, the unbind stands
    throw err;
  }
}
