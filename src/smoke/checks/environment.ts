/**
 * The environment group: the VF is on vfio-pci (or moved there with --bind), the host passes `doctor`
 * (IOMMU, VFIO, group, permissions), the VF opens (the mailbox trace feeds api.coverage and query.queues),
 * and the PF's view of it can be read (`ip -j -d link show`, or the simulated PF). A simulated VF skips the
 * PCI checks.
 */
import { ExitCode } from '../../errors.js';
import { messageId } from '../../mbx/codec.js';
import type { CheckDef, OpenRun } from '../context.js';
import { ipPfSide, simPfSide } from '../pf-side.js';
import { PENDING } from '../restores.js';
import { fail, fmtBool, pass, show, skip } from '../table.js';

export const environmentChecks: readonly [CheckDef, CheckDef, CheckDef, CheckDef<OpenRun>] = [
  {
    id: 'env.driver',
    group: 'environment',
    title: 'VF bound to vfio-pci',
    async run(run) {
      const { host, opts } = run;
      if (run.isSim) return skip('simulated VF: no PCI device to bind');
      // A typo'd address has no driver either: say there is no device, not "bind it" (that fails on it too).
      await host.requireDevice?.(opts.spec);
      const driver = await host.readDriver(opts.spec);
      if (driver === 'vfio-pci') return pass('on vfio-pci');
      if (opts.bind !== true) {
        return { ...fail(`the VF is on ${driver ?? 'no driver'}, not vfio-pci`, `ixgbevf bind ${opts.spec} (or pass --bind: moved there for the test and back afterwards)`), exitCode: ExitCode.environment };
      }
      const r = await host.bind(opts.spec);
      run.rebind = { previous: r.previousDriver };
      const previous = r.previousDriver;
      run.pending.add(PENDING.driver, {
        what: `${opts.spec} is on vfio-pci (was ${previous ?? 'unbound'})`,
        restore: previous === null ? `ixgbevf unbind ${opts.spec}` : `ixgbevf unbind ${opts.spec} --driver ${previous}`,
      });
      return pass(`bound to vfio-pci for the test (was ${r.previousDriver ?? 'unbound'}; put back at the end)`, { previousDriver: r.previousDriver });
    },
  },
  {
    id: 'env.doctor',
    group: 'environment',
    title: 'IOMMU, VFIO, group, permissions (doctor)',
    async run(run) {
      if (run.isSim) return skip('simulated VF: no IOMMU/VFIO needed');
      const r = await run.host.diagnose(run.opts.spec);
      const failed = r.checks.filter((c) => c.status === 'fail');
      const warned = r.checks.filter((c) => c.status === 'warn');
      if (failed.length > 0) {
        return {
          // Each fix once: two failed doctor checks often share one (the vfio and vfio-pci modules: modprobe vfio-pci).
          ...fail(failed.map((c) => c.message).join('; '), [...new Set(failed.map((c) => c.fix).filter((f) => f !== undefined))].join('; ') || undefined, { checks: r.checks }),
          exitCode: ExitCode.environment,
        };
      }
      return pass(`${r.checks.length} doctor checks passed${warned.length > 0 ? `, warnings: ${warned.map((c) => c.message).join('; ')}` : ''}`, { checks: r.checks });
    },
  },
  {
    id: 'env.open',
    group: 'environment',
    title: 'VF opened (VFIO, BAR0, interrupts)',
    async run(run) {
      const { opts } = run;
      const h = await opts.openVf(opts.spec, {
        ...(opts.poll === true ? { poll: true } : {}),
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        ...(opts.sysfs?.sysRoot === undefined ? {} : { sysfsRoot: opts.sysfs.sysRoot }),
        onTrace: (ev) => {
          if (ev.direction === 'vf-to-pf' && ev.words.length > 0) run.sentIds.add(messageId(ev.words[0]!));
          else if (ev.direction === 'pf-to-vf') run.replies.push([...ev.words]);
          opts.onTrace?.(ev);
        },
      });
      run.handle = h;
      return pass(`${h.kind === 'sim' ? 'simulated' : 'VFIO'} ${h.family.model} VF (${h.family.kind}), ${opts.poll === true ? 'polling' : 'interrupts'}`, {
        model: h.family.model,
        family: h.family.kind,
      });
    },
  },
  {
    id: 'env.pf-view',
    group: 'environment',
    title: "PF's view of the VF (ip -j -d link show)",
    async run(run) {
      const { handle, opts } = run;
      if (handle.pfName !== null && opts.pf !== undefined && opts.pf !== handle.pfName && handle.kind === 'vfio') {
        // Bad input (exit 2), with the smoke command on the PF sysfs names as its fix.
        return {
          ...fail(`--pf ${opts.pf} is not this VF's PF: sysfs says ${handle.pfName}`, `ixgbevf smoke ${opts.spec} --pf ${handle.pfName}`),
          code: 'ERR_WRONG_PF',
          exitCode: ExitCode.badInput,
        };
      }
      const pfName = opts.pf ?? handle.pfName;
      run.pfName = pfName;
      if (handle.vfIndex === null) return skip("the VF's index on its PF is unknown: no PF-view checks");
      if (opts.pfSide !== undefined) run.pf = opts.pfSide(handle, pfName, handle.vfIndex);
      else if (handle.sim !== undefined) run.pf = simPfSide(handle.sim, pfName ?? 'sim-pf0', handle.vfIndex);
      else if (pfName !== null) run.pf = ipPfSide(pfName, handle.vfIndex, opts.env === undefined ? {} : { env: opts.env });
      if (run.pf === null) return skip('the PF has no network interface known here: pass --pf <ifname> for the PF-view checks', `ixgbevf smoke ${opts.spec} --pf <ifname>`);
      const v = await run.pf.view();
      run.initialView = v;
      const text = `${run.pf.pfName} vf ${run.pf.vfIndex}: mac ${show(v.mac)}, trust ${fmtBool(v.trust)}, spoofchk ${fmtBool(v.spoofchk)}, link-state ${v.linkState ?? '-'}, port VLAN ${v.portVlan ?? '-'}; PF ${v.pfUp === false ? 'DOWN' : 'up'}`;
      // A down PF is reset.answer's failure (with the fix); the view itself was read fine.
      return pass(v.pfUp === false ? `${text} (its VFs stay in reset until \`ip link set ${run.pf.pfName} up\`)` : text, { view: v });
    },
  },
];
