/**
 * Turns a PF's refusal or silence into cause + fix for this VF: which `ip link set <pf> …` command helps
 * depends on what was asked and what the reset told us (admin MAC or not). Used by the CLI (direct mode)
 * and the daemon alike.
 */
import { IxgbevfError, MailboxTimeoutError, PfNackError, PfResetTimeoutError } from '../errors.js';
import type { VfHandle } from '../open/types.js';

export type OpName = 'status' | 'reset' | 'set-mac' | 'mtu' | 'vlan' | 'multicast' | 'xcast' | 'info' | 'link' | 'mailbox' | 'watch';

export function pfRef(handle: Pick<VfHandle, 'pfName' | 'vfIndex' | 'kind'>): { pf: string; n: string } {
  return { pf: handle.pfName ?? '<pf>', n: handle.vfIndex === null ? '<n>' : String(handle.vfIndex) };
}

/** Returns a better-worded error of the same class when we know more than the VF layer did; else `err`. */
export function explainError(err: unknown, handle: VfHandle, op: OpName, arg?: string | number): unknown {
  if (!(err instanceof IxgbevfError)) return err;
  const { pf, n } = pfRef(handle);
  const sim = handle.kind === 'sim';
  const simNote = (knob: string): string => (sim ? ` (simulated PF: ${knob})` : '');
  if (err instanceof PfResetTimeoutError) {
    return new PfResetTimeoutError(`the PF keeps ${handle.id} in reset (RSTI never cleared): is the PF interface ${pf} down?`, {
      hint: `ip link set ${pf} up${simNote('drop pf=down from the sim spec')}`,
      cause: err,
      details: { ...err.details, vf: handle.id },
    });
  }
  if (err instanceof MailboxTimeoutError && sim && handle.sim?.vfInfo().pfAnswers === false) {
    return new MailboxTimeoutError(`${err.message}: the simulated PF was started with pf=silent and never answers`, {
      hint: 'drop pf=silent from the sim spec',
      cause: err,
      details: { ...err.details, vf: handle.id },
    });
  }
  if (err instanceof MailboxTimeoutError && !sim) {
    // The PF's silence: its driver gone, its interface down, or it busy elsewhere. doctor checks the first
    // two and prints their fixes (the mailbox layer's hint could only ask).
    const sticky = (err.details as { resetFirst?: unknown } | undefined)?.resetFirst === true;
    return new MailboxTimeoutError(err.message, {
      hint: `ixgbevf doctor ${handle.id}   (checks the PF's driver and that ${pf} is up; ${sticky ? 'the VF is reset before its next use' : 'the next request is sent normally'})`,
      cause: err,
      details: { ...err.details, vf: handle.id },
    });
  }
  if (!(err instanceof PfNackError)) return err;
  const admin = handle.vf.lastReset?.permanentMac ?? null;
  switch (op) {
    case 'set-mac': {
      const mac = String(arg);
      if (admin !== null) {
        const same = admin === mac;
        return new PfNackError(
          `the PF refused MAC ${mac} for ${handle.id}: the administrator set MAC ${admin} for VF ${n} on ${pf} and the VF is not trusted${same ? ' (igb refuses even the same MAC from an untrusted VF)' : ''}`,
          {
            hint: `ip link set ${pf} vf ${n} trust on${same ? '' : `   (or make it the admin MAC: ip link set ${pf} vf ${n} mac ${mac})`}${simNote('use sim:mac=…,trust=on')}`,
            cause: err,
            details: { ...err.details, vf: handle.id, adminMac: admin, requested: mac },
          },
        );
      }
      // No admin MAC at the last reset does not mean there is none now: the PF does not tell the VF when
      // the administrator sets one later (igb never does; found by the rig's e2e test 6), so name that first.
      return new PfNackError(
        `the PF refused MAC ${mac} for ${handle.id}: most likely an administrator MAC was set for VF ${n} on ${pf} since the VF's last reset and the VF is not trusted (otherwise: an invalid address, or the PF's policy)`,
        {
          hint: `ip -d link show ${pf} shows VF ${n}'s MAC and trust; then ip link set ${pf} vf ${n} trust on   (or make it the admin MAC: ip link set ${pf} vf ${n} mac ${mac}); dmesg | grep -i 'vf ${n}' gives the PF's reason`,
          cause: err,
          details: { ...err.details, vf: handle.id, requested: mac },
        },
      );
    }
    case 'vlan':
      return new PfNackError(`the PF refused VLAN ${String(arg)} for ${handle.id}: a port VLAN is set for VF ${n} on ${pf}, or the PF's VLAN filter table is full`, {
        hint: `ip -d link show ${pf} (port VLAN: ip link set ${pf} vf ${n} vlan 0 removes it)`,
        cause: err,
        details: { ...err.details, vf: handle.id },
      });
    case 'mtu':
      return new PfNackError(`the PF refused MTU ${String(arg)} for ${handle.id} (out of range for the PF; on 82599 a jumbo VF needs a jumbo PF MTU and API ≥ 1.1)`, {
        hint: `ip link set ${pf} mtu 9000 (then retry), or choose a smaller MTU`,
        cause: err,
        details: { ...err.details, vf: handle.id },
      });
    case 'xcast':
      return new PfNackError(`the PF refused xcast mode ${String(arg)} for ${handle.id}`, {
        hint: `ip link set ${pf} vf ${n} trust on (allmulti and promisc need trust; promisc also needs ip link set ${pf} promisc on and an X540 or newer)`,
        cause: err,
        details: { ...err.details, vf: handle.id },
      });
    default:
      return err;
  }
}
