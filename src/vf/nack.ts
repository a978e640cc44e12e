/**
 * PfNackError for each message, with the likely cause and the PF-side command that changes it
 * (reference §6.3 NACK table, §6.7 admin knobs). `<pf-netdev>` and `<n>` are filled in when the Vf
 * knows the PF's name and the VF index.
 */
import { PfNackError } from '../errors.js';
import { apiName, type ApiVersion } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { hex32 } from '../mbx/codec.js';

export interface NackContext {
  readonly pf: string;
  readonly vf: string;
  readonly family: FamilyDescriptor;
  readonly api: ApiVersion;
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

export function nackError(kind: NackKind, word0: number, ctx: NackContext): PfNackError {
  const { pf, vf } = ctx;
  const details = { message: kind.op, reply: hex32(word0), api: apiName(ctx.api), model: ctx.family.model };
  const make = (message: string, hint: string): PfNackError => new PfNackError(message, { hint, details });
  switch (kind.op) {
    case 'SET_MAC_ADDR':
      return make(
        `the PF refused MAC ${kind.mac}: an administrator MAC is set for this VF and the VF is not trusted (or the PF's MAC table is full)`,
        `on the host: \`ip link set ${pf} vf ${vf} trust on\`, or set the MAC from the PF: \`ip link set ${pf} vf ${vf} mac ${kind.mac}\``,
      );
    case 'SET_MACVLAN':
      return make(
        kind.index > 0
          ? `the PF refused extra unicast filter ${kind.mac ?? ''} (index ${kind.index}): administrator MAC set and VF not trusted, or no free MAC filter left`
          : 'the PF refused to clear the extra unicast filters',
        `on the host: \`ip link set ${pf} vf ${vf} trust on\`; the PF's MAC filter table (RAR) is shared by the PF and all VFs`,
      );
    case 'SET_VLAN':
      return make(
        `the PF refused to ${kind.on ? 'add' : 'remove'} VLAN ${kind.id}: a port VLAN is set for this VF, the PF runs DCB, or its VLAN table is full`,
        `on the host: \`ip link set ${pf} vf ${vf} vlan 0\` (removes the port VLAN)`,
      );
    case 'SET_LPE': {
      const is82599 = ctx.family.model === '82599';
      return make(
        `the PF refused a max frame of ${kind.maxFrame} bytes (MTU ${kind.maxFrame - 18})` +
          (is82599 ? ': on 82599 the PF and all VFs must agree on jumbo frames' : ': the PF accepts 68..9728 bytes'),
        is82599
          ? `negotiate API ≥ 1.1 first (the PF agreed to ${apiName(ctx.api)}); a VF frame above 1518 bytes also needs a jumbo PF: \`ip link set ${pf} mtu 9000\`. Until SET_LPE succeeds the VF receives nothing when the PF MTU is above 1500`
          : `use an MTU between 50 and 9710, and check the PF: \`ip link show ${pf}\``,
      );
    }
    case 'UPDATE_XCAST_MODE':
      return make(
        `the PF refused multicast/promiscuous mode ${kind.mode}` +
          (kind.mode === 'promisc' ? ': promiscuous needs a trusted VF, a PF in promiscuous mode, and not an 82599' : ''),
        kind.mode === 'promisc'
          ? `on the host: \`ip link set ${pf} vf ${vf} trust on\` and \`ip link set ${pf} promisc on\` (82599 PFs never allow VF promiscuous)`
          : `on the host: \`ip link set ${pf} vf ${vf} trust on\``,
      );
    case 'SET_PROMISC':
      return make(`the igb PF refused promiscuous mode ${kind.mode}: it supports multicast promiscuous only`, 'use xcast mode allmulti');
    case 'GET_RETA':
    case 'GET_RSS_KEY':
      return make(
        `the PF refused ${kind.op}: RSS queries are off for this VF (only 82599/X540 PFs allow them)`,
        `on the host: \`ip link set ${pf} vf ${vf} query_rss on\``,
      );
    case 'GET_PF_LINK_STATE':
      return make('the PF refused GET_PF_LINK_STATE: only an E610 PF answers it', 'read the link from VFLINKS instead (link())');
    default:
      return make(`the PF refused ${kind.op}`, `check the PF's kernel log: \`dmesg | grep ${pf}\``);
  }
}
