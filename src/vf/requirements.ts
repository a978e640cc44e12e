/**
 * Which messages need which negotiated API and which family (reference §5.2, §5.3, §6.3, §10.3). Every
 * Vf operation checks here first and throws a typed NotSupportedError naming what it needs.
 */
import { NotSupportedError } from '../errors.js';
import { ApiVersion, apiAtLeast, apiName } from '../hw/api.js';
import type { FamilyDescriptor, FamilyKind } from '../hw/family.js';
import { MsgId } from '../hw/messages.js';
import { renderRemedy, type Remedy } from './nack.js';

export interface Requirement {
  readonly id: number;
  readonly name: string;
  readonly minApi: ApiVersion;
  readonly kinds: readonly FamilyKind[];
  /**
   * Why this VF model can never get the message granted (it is refused locally, as ixgbevf does), or
   * null when it can.
   */
  readonly refusedOn?: (family: FamilyDescriptor) => string | null;
}

const BOTH: readonly FamilyKind[] = ['ixgbevf', 'igbvf'];
const IXGBE: readonly FamilyKind[] = ['ixgbevf'];
const IGB: readonly FamilyKind[] = ['igbvf'];

function req(id: number, name: string, minApi: ApiVersion, kinds: readonly FamilyKind[], refusedOn?: (family: FamilyDescriptor) => string | null): Requirement {
  return { id, name, minApi, kinds, ...(refusedOn === undefined ? {} : { refusedOn }) };
}

/**
 * ixgbevf_get_reta_locked / ixgbevf_get_rss_key_locked return -EOPNOTSUPP on X550 and later VFs without
 * asking: their RSS lives in the VF's own VFRETA/VFRSSRK registers, and ixgbe_ndo_set_vf_rss_query_en
 * accepts query_rss only on 82599/X540 PFs, so the PF could never answer.
 */
const rssOnX550 = (family: FamilyDescriptor): string | null =>
  family.isX550Class
    ? `an ${family.model} VF keeps its RSS table and key in its own registers (VFRETA/VFRSSRK): the PF answers RSS queries only for 82599/X540 VFs, so Linux ixgbevf does not ask either`
    : null;

/**
 * ixgbe_update_vf_xcast_mode refuses PROMISC when the PF's MAC is an 82599 or older (-EOPNOTSUPP), and
 * only trust decides the other modes; X540 and later grant it to a trusted VF when the PF is promiscuous.
 * An untrusted 82599 VF asking for it would be downgraded to MULTI instead of refused: we refuse
 * locally in both cases (docs/protocol.md, deliberate differences).
 */
const promiscOn82599 = (family: FamilyDescriptor): string | null =>
  family.model === '82599' ? 'an 82599 PF never grants a VF unicast promiscuous mode, whatever its trust (ixgbe refuses PROMISC below X540)' : null;

export const Requirements = {
  SET_MAC_ADDR: req(MsgId.SET_MAC_ADDR, 'SET_MAC_ADDR', ApiVersion.V1_0, BOTH),
  SET_MULTICAST: req(MsgId.SET_MULTICAST, 'SET_MULTICAST', ApiVersion.V1_0, BOTH),
  SET_VLAN: req(MsgId.SET_VLAN, 'SET_VLAN', ApiVersion.V1_0, BOTH),
  SET_LPE: req(MsgId.SET_LPE, 'SET_LPE', ApiVersion.V1_0, BOTH),
  SET_MACVLAN: req(MsgId.SET_MACVLAN, 'SET_MACVLAN', ApiVersion.V1_0, IXGBE),
  IGB_SET_PROMISC: req(MsgId.IGB_SET_PROMISC, 'SET_PROMISC', ApiVersion.V1_0, IGB),
  API_NEGOTIATE: req(MsgId.API_NEGOTIATE, 'API_NEGOTIATE', ApiVersion.V1_0, IXGBE),
  GET_QUEUES: req(MsgId.GET_QUEUES, 'GET_QUEUES', ApiVersion.V1_1, IXGBE),
  GET_RETA: req(MsgId.GET_RETA, 'GET_RETA', ApiVersion.V1_2, IXGBE, rssOnX550),
  GET_RSS_KEY: req(MsgId.GET_RSS_KEY, 'GET_RSS_KEY', ApiVersion.V1_2, IXGBE, rssOnX550),
  UPDATE_XCAST_MODE: req(MsgId.UPDATE_XCAST_MODE, 'UPDATE_XCAST_MODE', ApiVersion.V1_2, IXGBE),
  XCAST_PROMISC: req(MsgId.UPDATE_XCAST_MODE, 'UPDATE_XCAST_MODE promisc', ApiVersion.V1_3, IXGBE, promiscOn82599),
  GET_LINK_STATE: req(MsgId.GET_LINK_STATE, 'GET_LINK_STATE', ApiVersion.V1_2, IXGBE),
  GET_PF_LINK_STATE: req(MsgId.GET_PF_LINK_STATE, 'GET_PF_LINK_STATE', ApiVersion.V1_6, IXGBE),
  FEATURES_NEGOTIATE: req(MsgId.FEATURES_NEGOTIATE, 'FEATURES_NEGOTIATE', ApiVersion.V1_7, IXGBE),
} as const;

/** Whether `r` can ever be granted on this VF model (false: refused locally, see `refusedOn`). */
export function isPossibleOn(r: Requirement, family: FamilyDescriptor): boolean {
  return (r.refusedOn?.(family) ?? null) === null;
}

/**
 * Throws NotSupportedError unless the family's PF has the message, the VF model can be granted it, and
 * the negotiated API allows it.
 */
export function requireSupported(r: Requirement, family: FamilyDescriptor, api: ApiVersion): void {
  if (!r.kinds.includes(family.kind) || !family.messages.has(r.id)) {
    throw new NotSupportedError(`${r.name} does not exist in the ${family.kind} mailbox (${family.model} VF)`, {
      details: { message: r.name, family: family.kind, model: family.model },
    });
  }
  const refused = r.refusedOn?.(family) ?? null;
  if (refused !== null) {
    throw new NotSupportedError(`${r.name} is not supported on ${family.model} VFs: ${refused}`, {
      details: { message: r.name, model: family.model, reason: refused },
    });
  }
  if (!apiAtLeast(api, r.minApi)) {
    const remedies: Remedy[] =
      api === ApiVersion.V1_0
        ? [{ kind: 'vf-step', step: 'negotiate-api' }, { kind: 'pf-kernel', needs: `mailbox API ${apiName(r.minApi)}` }]
        : [{ kind: 'pf-kernel', needs: `mailbox API ${apiName(r.minApi)}` }];
    throw new NotSupportedError(`${r.name} needs mailbox API ${apiName(r.minApi)}; the PF agreed to ${apiName(api)}`, {
      hint: remedies.map((x) => renderRemedy(x, { kind: 'host', pf: '<pf>', vf: '<n>' })).join('; or '),
      details: { message: r.name, needs: apiName(r.minApi), agreed: apiName(api), remedies },
    });
  }
}
