/**
 * The status of one daemon-owned VF as the `status` and `info` replies carry it (`VfStatus`): identity,
 * life state, negotiated API, permanent MAC, desired state and its revision, recoveries, last error,
 * release reason, any state file set aside at start, and what of the desired state the PF refused.
 */
import { apiName } from '../hw/api.js';
import type { OwnedVf } from './owned.js';
import type { StateProblem } from './state.js';
import { desiredToWire, type WireDesiredState } from './wire.js';

export interface VfStatus {
  id: string;
  kind: 'sim' | 'vfio';
  family: string;
  pfName: string | null;
  vfIndex: number | null;
  state: OwnedVf['state'];
  api: string;
  permanentMac: string | null;
  desired: WireDesiredState;
  /** Accepted changes of this VF so far (the state file carries the same count). */
  revision: number;
  recoveries: number;
  lastError: { code: string; message: string; hint?: string } | null;
  releaseReason: string | null;
  /** The state file set aside at start (corrupt or untrusted), or null. */
  stateProblem: StateProblem | null;
  /**
   * Items of the desired state the PF refused at the last re-apply (after a PF reset, or at start) and no
   * accepted request has settled since: the VF runs without them (an admin MAC in place of the desired
   * one, a jumbo MTU the PF's MTU does not allow). Empty when everything is applied.
   */
  notApplied: { item: string; code: string; message: string }[];
}

export function vfStatus(owned: OwnedVf): VfStatus {
  const h = owned.handle;
  return {
    id: h.id,
    kind: h.kind,
    family: h.family.model,
    pfName: h.pfName,
    vfIndex: h.vfIndex,
    state: owned.state,
    api: apiName(h.vf.api),
    permanentMac: h.vf.lastReset?.permanentMac ?? null,
    desired: desiredToWire(owned.desired),
    revision: owned.revision,
    recoveries: owned.recoveries,
    lastError: owned.lastError === null ? null : { code: owned.lastError.code, message: owned.lastError.message, ...(owned.lastError.hint === undefined ? {} : { hint: owned.lastError.hint }) },
    releaseReason: owned.releaseReason,
    stateProblem: owned.stateProblem,
    notApplied: owned.lastFailures.map(({ item, code, message }) => ({ item, code, message })),
  };
}
