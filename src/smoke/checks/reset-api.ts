/**
 * The reset and API groups: the PF answers VF_RESET (reset.answer) with the MAC its view shows (reset.mac),
 * the mailbox API is negotiated (api.version), and — run last, from the words the trace saw — every
 * operation the negotiated API allows was sent once (api.coverage). reset.answer, api.version and
 * query.queues are resetAndNegotiate() (src/vf/bring-up.ts) check by check, with nothing sent between.
 */
import { ApiVersion, NEGOTIATION_ORDER, apiAtLeast, apiName } from '../../hw/api.js';
import { Requirements, isPossibleOn } from '../../vf/requirements.js';
import type { CheckDef, HeldRun, OpenRun } from '../context.js';
import { fail, familyName, pass, sameMac, show, skip } from '../table.js';

export const resetAnswer: CheckDef<OpenRun> = {
  id: 'reset.answer',
  group: 'reset',
  title: 'VF reset answered by the PF',
  async run(run) {
    const r = await run.handle.vf.reset();
    run.reset = r;
    return pass(`PF answered VF_RESET: ${r.permanentMac === null ? 'NACK (no administrator MAC)' : `ACK with MAC ${r.permanentMac}`}, mc_filter_type ${r.mcFilterType}`, {
      permanentMac: r.permanentMac,
      mcFilterType: r.mcFilterType,
    });
  },
};

export const resetMac: CheckDef<HeldRun> = {
  id: 'reset.mac',
  group: 'reset',
  title: "permanent MAC matches the PF's view",
  run({ initialView: v, pf, reset, handle }) {
    if (v === null || pf === null) return Promise.resolve(skip('no PF view (see env.pf-view): nothing to compare with'));
    if (reset.permanentMac !== null) {
      return Promise.resolve(
        sameMac(reset.permanentMac, v.mac)
          ? pass(`${reset.permanentMac} in both`)
          : fail(`the PF gave MAC ${reset.permanentMac} at reset but its view shows ${show(v.mac)}`, `ip -d link show ${pf.pfName}; dmesg | grep -i vf`),
      );
    }
    if (v.mac === null) return Promise.resolve(pass('no administrator MAC: the reset was NACKed and the view shows none'));
    if (handle.family.kind === 'ixgbevf') {
      return Promise.resolve(pass(`no administrator MAC (reset NACKed); the view shows ${v.mac}, a MAC this VF's previous driver chose (ixgbe keeps it)`));
    }
    return Promise.resolve(fail(`the reset was NACKed (no administrator MAC) but the PF's view shows ${v.mac}`, `dmesg | grep -i vf`));
  },
};

export const apiVersion: CheckDef<HeldRun> = {
  id: 'api.version',
  group: 'api',
  title: 'mailbox API negotiated',
  async run({ handle }) {
    const vf = handle.vf;
    if (!handle.family.negotiatesApi) {
      await vf.negotiateApi();
      return skip(`ixgbe-only: API negotiation does not exist in the ${familyName(handle)}; the igb PF speaks 1.0`);
    }
    const api = await vf.negotiateApi();
    if (!NEGOTIATION_ORDER.includes(api)) return fail(`the PF agreed to API ${apiName(api)}, which this driver does not offer`);
    const note = api === ApiVersion.V1_5 ? ' (1.5 is the ESX mailbox: a Linux PF never agrees to it)' : '';
    return pass(`API ${apiName(api)}${note}`, { api: apiName(api) });
  },
};

export const apiCoverage: CheckDef<HeldRun> = {
  id: 'api.coverage',
  group: 'api',
  title: 'every operation the API allows tried once',
  run({ handle, sentIds: sent, table }) {
    const vf = handle.vf;
    const fam = handle.family;
    const gates = Object.values(Requirements).filter((r) => r.name !== 'UPDATE_XCAST_MODE promisc');
    const allowed = gates.filter((r) => r.kinds.includes(fam.kind) && fam.messages.has(r.id) && isPossibleOn(r, fam) && apiAtLeast(vf.api, r.minApi));
    const tried = allowed.filter((r) => sent.has(r.id)).map((r) => r.name);
    const missing = allowed.filter((r) => !sent.has(r.id)).map((r) => r.name);
    const notAllowed = gates
      .filter((r) => !allowed.includes(r))
      .map((r) => `${r.name} (${!r.kinds.includes(fam.kind) || !fam.messages.has(r.id) ? `not in the ${fam.kind === 'igbvf' ? 'igb' : 'ixgbe'} family` : !isPossibleOn(r, fam) ? `never granted on ${fam.model}` : `needs API ≥ ${apiName(r.minApi)}`})`);
    const details = { api: apiName(vf.api), tried, missing, notAllowed, notImplemented: fam.kind === 'ixgbevf' ? ['IPSEC_ADD', 'IPSEC_DEL'] : [] };
    if (missing.length > 0) {
      return Promise.resolve(
        table.anyFailed()
          ? skip(`not every allowed operation was reached (an earlier check failed): ${missing.join(', ')} not tried`)
          : fail(`allowed at API ${apiName(vf.api)} but never sent: ${missing.join(', ')}`, undefined, details),
      );
    }
    return Promise.resolve(pass(`${tried.length} operations tried at API ${apiName(vf.api)}: ${tried.join(', ')}${notAllowed.length > 0 ? `; not allowed: ${notAllowed.join(', ')}` : ''}`, details));
  },
};
