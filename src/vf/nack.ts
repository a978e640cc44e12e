/**
 * PfNackError for each message: the likely cause (reference §6.3 NACK table, §6.7 admin knobs) and the
 * fix, both as text (`hint`) and structured (`details.remedies`, see `Remedy`).
 *
 * The hint text is phrased for the place the VF lives: on a host it names the PF-side command
 * (`ip link set <pf> vf <n> …`, `<pf>`/`<n>` filled in when the Vf knows them); on the simulated VF it
 * names the `sim:` spec key that models the same PF setting (the simulated PF has no netdev to run `ip`
 * on). A front end that phrases fixes its own way (the CLI, the daemon) renders `details.remedies`.
 */
import { PfNackError } from '../errors.js';
import { apiName, type ApiVersion } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { ETH_FCS_BYTES, ETH_HEADER_BYTES, MTU_MAX, MTU_MIN, messageName } from '../hw/messages.js';
import { hex32 } from '../mbx/codec.js';
import type { QueueInfo } from './types.js';

/**
 * One way to fix a refusal, independent of the interface that prints it:
 * - `pf-vf`: a per-VF setting on the PF (`ip link set <pf> vf <n> <setting> <value>`);
 * - `pf`: a setting of the PF itself (`ip link set <pf> <setting> <value>`; `up` has no value);
 * - `vf-step`: something the VF side does first (negotiate the API after a reset);
 * - `vf-value`: ask for another value (an MTU in range, another xcast mode);
 * - `pf-kernel`: the PF's kernel is too old for the message.
 */
export type Remedy =
  | { readonly kind: 'pf-vf'; readonly setting: 'trust' | 'mac' | 'vlan' | 'query_rss' | 'state'; readonly value: string }
  | { readonly kind: 'pf'; readonly setting: 'mtu' | 'promisc' | 'up'; readonly value?: string }
  | { readonly kind: 'vf-step'; readonly step: 'negotiate-api' | 'reset' }
  | { readonly kind: 'vf-value'; readonly what: 'mtu' | 'xcast'; readonly value: string }
  | { readonly kind: 'pf-kernel'; readonly needs: string };

/** Where the fix is applied: a host PF (names known or not) or the simulated PF of `sim:`. */
export type RemedyTarget = { readonly kind: 'host'; readonly pf: string; readonly vf: string } | { readonly kind: 'sim' };

/** sim spec keys modelling the PF settings (src/sim/spec.ts); settings without a key have none. */
const SIM_KEY: Partial<Record<string, (value: string | undefined) => string>> = {
  'pf-vf:trust': (v) => `trust=${v ?? 'on'}`,
  'pf-vf:mac': (v) => `mac=${v ?? ''}`,
  'pf-vf:vlan': (v) => `vlan=${v ?? '0'}`,
  'pf:mtu': (v) => `mtu=${v ?? '9000'}`,
  'pf:up': () => 'pf=up',
  'pf-vf:query_rss': (v) => `rss=${v ?? 'on'}`,
  'pf:promisc': (v) => `promisc=${v ?? 'on'}`,
};

/** One remedy as a short instruction for `target`. */
export function renderRemedy(r: Remedy, target: RemedyTarget): string {
  switch (r.kind) {
    case 'pf-vf':
    case 'pf': {
      if (target.kind === 'sim') {
        const key = SIM_KEY[`${r.kind}:${r.setting}`];
        return key === undefined
          ? `the simulated PF has no setting for ${r.setting}`
          : `open the simulated VF with the PF setting \`${key(r.value)}\` (e.g. \`sim:${key(r.value)}\`)`;
      }
      const cmd =
        r.kind === 'pf-vf'
          ? `ip link set ${target.pf} vf ${target.vf} ${r.setting} ${r.value}`
          : `ip link set ${target.pf} ${r.setting}${r.value === undefined ? '' : ` ${r.value}`}`;
      return `on the host: \`${cmd}\``;
    }
    case 'vf-step':
      return r.step === 'negotiate-api' ? 'negotiate the mailbox API after the VF reset (API ≥ 1.1)' : 'reset the VF';
    case 'vf-value':
      return r.what === 'mtu' ? `use an MTU in ${r.value}` : `use xcast mode ${r.value}`;
    case 'pf-kernel':
      return `the PF's kernel (ixgbe) must be newer: ${r.needs}`;
  }
}

/** The hint text: the remedies joined, for `target`. */
export function renderRemedies(remedies: readonly Remedy[], target: RemedyTarget): string {
  return remedies.map((r) => renderRemedy(r, target)).join('; or ');
}

export interface NackContext {
  readonly target: RemedyTarget;
  readonly family: FamilyDescriptor;
  readonly api: ApiVersion;
  /** The last GET_QUEUES answer (DCB shows as transparentVlan > 1), null before the first. */
  readonly queues: QueueInfo | null;
}

export type NackKind =
  | { op: 'SET_MAC_ADDR'; mac: string }
  | { op: 'SET_MACVLAN'; mac: string | null; index: number }
  | { op: 'SET_VLAN'; id: number; on: boolean }
  | { op: 'SET_LPE'; maxFrame: number }
  | { op: 'UPDATE_XCAST_MODE'; mode: string }
  | { op: 'SET_PROMISC'; mode: string }
  | { op: 'GET_RETA' | 'GET_RSS_KEY' }
  | { op: 'GET_LINK_STATE' | 'GET_QUEUES' | 'FEATURES_NEGOTIATE' | 'SET_MULTICAST' }
  | { op: 'GET_PF_LINK_STATE' };

const ETH_OVERHEAD = ETH_HEADER_BYTES + ETH_FCS_BYTES;
export const MTU_RANGE_TEXT = `${MTU_MIN}..${MTU_MAX}`;

export function nackError(kind: NackKind, word0: number, ctx: NackContext): PfNackError {
  const make = (message: string, remedies: readonly Remedy[]): PfNackError =>
    new PfNackError(message, {
      ...(remedies.length === 0 ? {} : { hint: renderRemedies(remedies, ctx.target) }),
      details: { message: kind.op, reply: hex32(word0), api: apiName(ctx.api), model: ctx.family.model, remedies },
    });
  const name = messageName(word0, ctx.family.kind);
  switch (kind.op) {
    case 'SET_MAC_ADDR':
      return make(
        `the PF refused MAC ${kind.mac}: an administrator MAC is set for this VF and the VF is not trusted (or the PF's MAC table is full)`,
        [
          { kind: 'pf-vf', setting: 'trust', value: 'on' },
          { kind: 'pf-vf', setting: 'mac', value: kind.mac },
        ],
      );
    case 'SET_MACVLAN':
      return make(
        kind.index > 0
          ? `the PF refused extra unicast filter ${kind.mac ?? ''} (index ${kind.index}): administrator MAC set and VF not trusted, or no free MAC filter left (the RAR table is shared by the PF and all VFs)`
          : 'the PF refused to clear the extra unicast filters',
        [{ kind: 'pf-vf', setting: 'trust', value: 'on' }],
      );
    case 'SET_VLAN': {
      // ixgbe_set_vf_vlan_msg: refused when a port VLAN is set or the PF runs DCB (hw_tcs ≠ 0); GET_QUEUES
      // tells the VF the number of traffic classes (ixgbe_get_vf_queues).
      const tcs = ctx.queues?.transparentVlan ?? 0;
      if (tcs > 1) {
        return make(
          `the PF refused to ${kind.on ? 'add' : 'remove'} VLAN ${kind.id}: the PF runs DCB with ${tcs} traffic classes, and an ixgbe PF with DCB takes no VLAN filters from its VFs`,
          [],
        );
      }
      return make(
        `the PF refused to ${kind.on ? 'add' : 'remove'} VLAN ${kind.id}: a port VLAN is set for this VF, the PF runs DCB, or its VLAN table is full`,
        [{ kind: 'pf-vf', setting: 'vlan', value: '0' }],
      );
    }
    case 'SET_LPE': {
      const is82599 = ctx.family.model === '82599';
      const mtu = kind.maxFrame - ETH_OVERHEAD;
      return make(
        `the PF refused a max frame of ${kind.maxFrame} bytes (MTU ${mtu})` +
          (is82599
            ? `: on 82599 the PF and all VFs must agree on jumbo frames (the PF agreed to API ${apiName(ctx.api)}; until SET_LPE succeeds the VF receives nothing when the PF MTU is above 1500)`
            : `: the PF accepts MTU ${MTU_RANGE_TEXT}`),
        is82599
          ? [{ kind: 'vf-step', step: 'negotiate-api' }, { kind: 'pf', setting: 'mtu', value: '9000' }]
          : [{ kind: 'vf-value', what: 'mtu', value: MTU_RANGE_TEXT }],
      );
    }
    case 'UPDATE_XCAST_MODE':
      return make(
        `the PF refused multicast/promiscuous mode ${kind.mode}` + (kind.mode === 'promisc' ? ': promiscuous needs a trusted VF and a PF in promiscuous mode' : ''),
        kind.mode === 'promisc'
          ? [{ kind: 'pf-vf', setting: 'trust', value: 'on' }, { kind: 'pf', setting: 'promisc', value: 'on' }]
          : [{ kind: 'pf-vf', setting: 'trust', value: 'on' }],
      );
    case 'SET_PROMISC':
      return make(`the igb PF refused promiscuous mode ${kind.mode}: it supports multicast promiscuous only`, [{ kind: 'vf-value', what: 'xcast', value: 'allmulti' }]);
    case 'GET_RETA':
    case 'GET_RSS_KEY':
      return make(`the PF refused ${kind.op}: RSS queries are off for this VF (query_rss)`, [{ kind: 'pf-vf', setting: 'query_rss', value: 'on' }]);
    case 'GET_PF_LINK_STATE':
      return make(`the PF refused GET_PF_LINK_STATE: only an E610 PF at API 1.6 or later answers it`, []);
    default:
      return make(`the PF refused ${name}`, []);
  }
}
