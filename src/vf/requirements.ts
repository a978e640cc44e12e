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
}

const BOTH: readonly FamilyKind[] = ['ixgbevf', 'igbvf'];
const IXGBE: readonly FamilyKind[] = ['ixgbevf'];
const IGB: readonly FamilyKind[] = ['igbvf'];

function req(id: number, name: string, minApi: ApiVersion, kinds: readonly FamilyKind[]): Requirement {
  return { id, name, minApi, kinds };
}

export const Requirements = {
  SET_MAC_ADDR: req(MsgId.SET_MAC_ADDR, 'SET_MAC_ADDR', ApiVersion.V1_0, BOTH),
  SET_MULTICAST: req(MsgId.SET_MULTICAST, 'SET_MULTICAST', ApiVersion.V1_0, BOTH),
  SET_VLAN: req(MsgId.SET_VLAN, 'SET_VLAN', ApiVersion.V1_0, BOTH),
  SET_LPE: req(MsgId.SET_LPE, 'SET_LPE', ApiVersion.V1_0, BOTH),
  SET_MACVLAN: req(MsgId.SET_MACVLAN, 'SET_MACVLAN', ApiVersion.V1_0, IXGBE),
  IGB_SET_PROMISC: req(MsgId.IGB_SET_PROMISC, 'SET_PROMISC', ApiVersion.V1_0, IGB),
  API_NEGOTIATE: req(MsgId.API_NEGOTIATE, 'API_NEGOTIATE', ApiVersion.V1_0, IXGBE),
  GET_QUEUES: req(MsgId.GET_QUEUES, 'GET_QUEUES', ApiVersion.V1_1, IXGBE),
  GET_RETA: req(MsgId.GET_RETA, 'GET_RETA', ApiVersion.V1_2, IXGBE),
  GET_RSS_KEY: req(MsgId.GET_RSS_KEY, 'GET_RSS_KEY', ApiVersion.V1_2, IXGBE),
  UPDATE_XCAST_MODE: req(MsgId.UPDATE_XCAST_MODE, 'UPDATE_XCAST_MODE', ApiVersion.V1_2, IXGBE),
  XCAST_PROMISC: req(MsgId.UPDATE_XCAST_MODE, 'UPDATE_XCAST_MODE promisc', ApiVersion.V1_3, IXGBE),
  GET_LINK_STATE: req(MsgId.GET_LINK_STATE, 'GET_LINK_STATE', ApiVersion.V1_2, IXGBE),
  GET_PF_LINK_STATE: req(MsgId.GET_PF_LINK_STATE, 'GET_PF_LINK_STATE', ApiVersion.V1_6, IXGBE),
  FEATURES_NEGOTIATE: req(MsgId.FEATURES_NEGOTIATE, 'FEATURES_NEGOTIATE', ApiVersion.V1_7, IXGBE),
} as const;

/** Throws NotSupportedError unless the family's PF has the message and the negotiated API allows it. */
export function requireSupported(r: Requirement, family: FamilyDescriptor, api: ApiVersion): void {
  if (!r.kinds.includes(family.kind) || !family.messages.has(r.id)) {
    throw new NotSupportedError(`${r.name} does not exist in the ${family.kind} mailbox (${family.model} VF)`, {
      details: { message: r.name, family: family.kind, model: family.model },
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
