/**
 * The queries group: GET_QUEUES (queue counts in range; DCB traffic classes noted for config.vlan),
 * GET_RETA and GET_RSS_KEY (a refusal is expected unless query_rss is on), GET_LINK_STATE (against the
 * PF's link-state knob), GET_PF_LINK_STATE (E610 only), and the link as ixgbevf reads it.
 */
import { PfNackError } from '../../errors.js';
import { apiName } from '../../hw/api.js';
import { MsgId } from '../../hw/messages.js';
import { messageId } from '../../mbx/codec.js';
import type { CheckDef, HeldRun } from '../context.js';
import { fail, pass, skip, type Outcome } from '../table.js';

function rssNack(run: HeldRun, what: string, err: PfNackError): Outcome {
  const v = run.initialView;
  if (v?.rssQuery === true) return fail(`${what} NACKed although query_rss is on`, err.hint);
  return skip(`${what}: the PF refused: query_rss is ${v?.rssQuery === false ? 'off' : 'not known to be on'} for this VF (answered, values not checked)`, err.hint);
}

export const queryChecks: readonly CheckDef<HeldRun>[] = [
  {
    id: 'query.queues',
    group: 'queries',
    title: 'GET_QUEUES',
    async run(run) {
      const q = await run.handle.vf.getQueues();
      // ixgbe_get_vf_queues: TRANS_VLAN > 1 is the number of DCB traffic classes, DEF_QUEUE the default TC.
      if (q.transparentVlan > 1) run.trafficClasses = q.transparentVlan;
      const raw = run.replies.filter((w) => messageId(w[0] ?? 0) === MsgId.GET_QUEUES).at(-1);
      const rawTx = raw?.[1];
      const rawRx = raw?.[2];
      const details = { ...q, raw: raw?.slice(0, 5) };
      const inRange = (n: number | undefined): boolean => n === undefined || (n >= 1 && n <= 8);
      if (!inRange(rawTx) || !inRange(rawRx)) return fail(`the PF reported ${String(rawTx)} Tx / ${String(rawRx)} Rx queues (expected 1..8)`, undefined, details);
      const tcText = q.transparentVlan > 1 ? `DCB on the PF: ${q.transparentVlan} traffic classes, default TC ${q.defaultQueue}` : `default queue ${q.defaultQueue}, port VLAN/QoS ${q.transparentVlan === 1 ? 'set' : 'none'}`;
      return pass(`${q.txQueues} Tx / ${q.rxQueues} Rx queues, ${tcText}`, details);
    },
  },
  {
    id: 'query.reta',
    group: 'queries',
    title: 'GET_RETA',
    async run(run) {
      try {
        const reta = await run.handle.vf.getReta();
        const bad = reta.filter((e) => !Number.isInteger(e) || e < 0 || e > 3);
        if (reta.length !== 128 || bad.length > 0) return fail(`RETA has ${reta.length} entries, ${bad.length} out of range`, undefined, { reta });
        return pass(`128 entries, queues used: ${[...new Set(reta)].sort().join(',')}`, { reta });
      } catch (err) {
        if (err instanceof PfNackError) return rssNack(run, 'GET_RETA', err);
        throw err;
      }
    },
  },
  {
    id: 'query.rss-key',
    group: 'queries',
    title: 'GET_RSS_KEY',
    async run(run) {
      try {
        const key = await run.handle.vf.getRssKey();
        if (key.length !== 40 || key.every((b) => b === 0)) return fail(`RSS key of ${key.length} bytes${key.every((b) => b === 0) ? ', all zero' : ''}`);
        return pass('40-byte key, not all zero', { key: Buffer.from(key).toString('hex') });
      } catch (err) {
        if (err instanceof PfNackError) return rssNack(run, 'GET_RSS_KEY', err);
        throw err;
      }
    },
  },
  {
    id: 'query.link-state',
    group: 'queries',
    title: 'GET_LINK_STATE',
    async run(run) {
      const vf = run.handle.vf;
      let enabled: boolean;
      try {
        enabled = await vf.getLinkState();
      } catch (err) {
        // GET_LINK_STATE came to the Linux PF in 2022 (≈ v5.18): older PFs refuse it as unknown at any API.
        if (err instanceof PfNackError) return skip(`the PF refused GET_LINK_STATE at API ${apiName(vf.api)}: PF kernels before ≈ v5.18 do not know it (answered)`, err.hint);
        throw err;
      }
      const admin = run.initialView?.linkState ?? null;
      if (admin === 'disable' && enabled) return fail('the PF says link is enabled but its view says link-state disable');
      if (admin === 'enable' || admin === 'auto') {
        if (!enabled) return fail(`the PF says link is disabled but its view says link-state ${admin}`, `ip link set ${run.pf?.pfName ?? '<pf>'} vf ${run.handle.vfIndex ?? '<n>'} state auto`);
      }
      return pass(`link ${enabled ? 'enabled' : 'disabled'} by the PF${admin === null ? '' : ` (view: link-state ${admin})`}`);
    },
  },
  {
    id: 'query.pf-link',
    group: 'queries',
    title: 'GET_PF_LINK_STATE',
    async run({ handle }) {
      try {
        const l = await handle.vf.getPfLinkState();
        return pass(`PF link ${l.up ? `up ${l.speedMbps ?? '?'} Mb/s` : 'down'}`, { link: l });
      } catch (err) {
        if (err instanceof PfNackError && handle.family.model !== 'E610') {
          return skip(`E610-only: the ${handle.family.model} PF refused GET_PF_LINK_STATE as expected (answered)`);
        }
        throw err;
      }
    },
  },
  {
    id: 'query.link-register',
    group: 'queries',
    title: 'link as ixgbevf reads it (VFLINKS / STATUS; the PF on E610 at API ≥ 1.6)',
    async run({ handle }) {
      const l = await handle.vf.checkLink();
      return pass(`${l.source}: link ${l.up ? `up ${l.speedMbps ?? '?'} Mb/s` : 'down'}`, { link: l });
    },
  },
];
