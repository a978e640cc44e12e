/**
 * The API gate (reference §5.2, §5.3, §6.3, §10.3): whether the family has a message, whether the VF model
 * can ever be granted it, and whether the negotiated API allows it. Every Vf operation checks here first
 * and throws a typed NotSupportedError naming what it needs. What each message needs is data in its spec
 * (src/vf/messages/); `Requirements` names them.
 */
import { NotSupportedError } from '../errors.js';
import { ApiVersion, apiAtLeast, apiName } from '../hw/api.js';
import type { FamilyDescriptor } from '../hw/family.js';
import { MESSAGES, XCAST_PROMISC, type Requirement } from './messages/index.js';
import { renderRemedy, type Remedy } from './remedy.js';

export type { Requirement } from './messages/index.js';

/** Each message's gate, by name (the table of src/vf/messages/, plus xcast PROMISC's own). */
export const Requirements = {
  SET_MAC_ADDR: MESSAGES.SET_MAC_ADDR.requirement,
  SET_MULTICAST: MESSAGES.SET_MULTICAST.requirement,
  SET_VLAN: MESSAGES.SET_VLAN.requirement,
  SET_LPE: MESSAGES.SET_LPE.requirement,
  SET_MACVLAN: MESSAGES.SET_MACVLAN.requirement,
  IGB_SET_PROMISC: MESSAGES.SET_PROMISC.requirement,
  API_NEGOTIATE: MESSAGES.API_NEGOTIATE.requirement,
  GET_QUEUES: MESSAGES.GET_QUEUES.requirement,
  GET_RETA: MESSAGES.GET_RETA.requirement,
  GET_RSS_KEY: MESSAGES.GET_RSS_KEY.requirement,
  UPDATE_XCAST_MODE: MESSAGES.UPDATE_XCAST_MODE.requirement,
  XCAST_PROMISC,
  GET_LINK_STATE: MESSAGES.GET_LINK_STATE.requirement,
  GET_PF_LINK_STATE: MESSAGES.GET_PF_LINK_STATE.requirement,
  FEATURES_NEGOTIATE: MESSAGES.FEATURES_NEGOTIATE.requirement,
} as const satisfies Record<string, Requirement>;

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
      hint: `${r.name} is for ${r.kinds.join('/')} VFs: leave it out for this ${family.model} VF`,
      details: { message: r.name, family: family.kind, model: family.model },
    });
  }
  const refused = r.refusedOn?.(family) ?? null;
  if (refused !== null) {
    throw new NotSupportedError(`${r.name} is not supported on ${family.model} VFs: ${refused}`, {
      // Only where another request does the job; a refusal with no way around it (RSS on X550) has no hint.
      ...(r === XCAST_PROMISC ? { hint: 'use xcast mode allmulti' } : {}),
      details: { message: r.name, model: family.model, reason: refused },
    });
  }
  if (!apiAtLeast(api, r.minApi)) {
    const remedies: Remedy[] =
      api === ApiVersion.V1_0
        ? [{ kind: 'vf-step', step: 'negotiate-api', atLeast: apiName(r.minApi) }, { kind: 'pf-kernel', needs: `mailbox API ${apiName(r.minApi)}` }]
        : [{ kind: 'pf-kernel', needs: `mailbox API ${apiName(r.minApi)}` }];
    throw new NotSupportedError(`${r.name} needs mailbox API ${apiName(r.minApi)}; the PF agreed to ${apiName(api)}`, {
      hint: remedies.map((x) => renderRemedy(x, { kind: 'host', pf: '<pf>', vf: '<n>' })).join('; or '),
      details: { message: r.name, needs: apiName(r.minApi), agreed: apiName(api), remedies },
    });
  }
}
