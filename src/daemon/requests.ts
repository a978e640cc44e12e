/**
 * The answers to the control socket's requests on owned VFs (everything but `status`'s daemon-wide part
 * and `watch`, which the server streams): info, link and mailbox through the VF's mailbox queue, and the
 * changes (set-mac, mtu, vlan, multicast, xcast) recorded in the desired state once the PF accepted them,
 * each reply saying the PF's answer and whether the new state is durable.
 */
import { apiName } from '../hw/api.js';
import { linkReport, unlessNotSupported } from './link-report.js';
import type { Logger } from './log.js';
import type { OwnedVf } from './owned.js';
import type { ChangeOutcome } from './owned-types.js';
import type { Request } from './protocol.js';
import { simAction } from './sim-admin.js';
import { vfStatus } from './status.js';
import { acceptedFields } from './wire.js';

/** What answering a request needs of the daemon. */
export interface RequestHost {
  /** The owned VF for a (validated) spec; throws ERR_NOT_OWNED. */
  owned(spec: string): OwnedVf;
  /** The whole `status` reply. */
  status(): unknown;
  /** The VF's state file, or null without --state-dir. */
  stateFile(vf: string): string | null;
  logger: Logger;
}

function hex(w: number): string {
  return `0x${w.toString(16).padStart(8, '0')}`;
}

/** The reply to an accepted change: `fields` first, then the PF's answer, durability and the state file. */
function changed(host: RequestHost, o: OwnedVf, fields: Record<string, unknown>, outcome: ChangeOutcome<unknown>): Record<string, unknown> {
  const { replies, persisted, saveError, accepted } = outcome;
  const pfReply = replies.length === 0 ? null : hex(replies[replies.length - 1]!);
  const persistError = saveError === null ? null : { code: saveError.code, message: saveError.message, ...(saveError.hint === undefined ? {} : { hint: saveError.hint }) };
  return { vf: o.id, ...fields, pfReply, persisted, persistError, ...acceptedFields(accepted), stateFile: host.stateFile(o.id) };
}

export async function answerRequest(host: RequestHost, req: Exclude<Request, { op: 'watch' }>): Promise<unknown> {
  switch (req.op) {
    case 'status':
      return host.status();
    case 'info': {
      const o = host.owned(req.vf);
      const { value } = await o.request(async (vf) => {
        const queues = await unlessNotSupported(() => vf.getQueues());
        return { queues, link: await vf.checkLink(), counters: { ...vf.counters }, mcFilterType: vf.lastReset?.mcFilterType ?? null };
      });
      return { ...vfStatus(o), ...value };
    }
    case 'link': {
      const o = host.owned(req.vf);
      const { value } = await o.request(async (vf) => linkReport(vf));
      return { vf: o.id, ...value };
    }
    case 'mailbox': {
      const o = host.owned(req.vf);
      const { value } = await o.request(async (vf) => {
        const regs = o.handle.regs;
        const words = regs === undefined ? null : Array.from({ length: 16 }, (_, i) => regs.read32(vf.family.regs.mailboxMemory + 4 * i) >>> 0);
        return { api: apiName(vf.api), needsReset: vf.needsReset, counters: { ...vf.counters }, words, register: null };
      });
      return { vf: o.id, ...value, note: 'through the daemon the mailbox register is not read (reading it would clear PFSTS/PFACK/RSTD behind the driver)' };
    }
    case 'set-mac': {
      const o = host.owned(req.vf);
      const outcome = await o.change((vf) => vf.setMac(req.mac), (d) => (d.mac = req.mac), 'mac');
      return changed(host, o, { mac: req.mac }, outcome);
    }
    case 'mtu': {
      const o = host.owned(req.vf);
      const outcome = await o.change((vf) => vf.setMtu(req.mtu), (d) => (d.mtu = req.mtu), 'mtu');
      return changed(host, o, { mtu: req.mtu }, outcome);
    }
    case 'vlan': {
      const o = host.owned(req.vf);
      const on = req.action === 'add';
      let vlans: number[] = [];
      const outcome = await o.change(
        (vf) => vf.setVlan(req.vlan, on),
        (d) => {
          const set = new Set(d.vlans);
          if (on) set.add(req.vlan);
          else set.delete(req.vlan);
          d.vlans = [...set].sort((a, b) => a - b);
          vlans = [...d.vlans];
        },
        `vlan ${req.vlan}`,
      );
      return changed(host, o, { vlan: req.vlan, action: req.action, vlans }, outcome);
    }
    case 'multicast': {
      const o = host.owned(req.vf);
      const outcome = await o.change((vf) => vf.setMulticast(req.macs), (d) => (d.multicast = [...req.macs]), 'multicast');
      return changed(host, o, { macs: req.macs, ...outcome.value }, outcome);
    }
    case 'xcast': {
      const o = host.owned(req.vf);
      const outcome = await o.change((vf) => vf.setXcastMode(req.mode), (d) => (d.xcast = req.mode), 'xcast');
      return changed(host, o, { requested: req.mode, granted: outcome.value }, outcome);
    }
    case 'sim':
      return simAction(host.owned(req.vf), req, host.logger);
  }
}
