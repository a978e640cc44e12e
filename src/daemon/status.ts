/**
 * The status of one daemon-owned VF as the `status` and `info` replies carry it (`VfStatus`): identity,
 * life state, negotiated API, permanent MAC, desired state and its revision, recoveries, last error,
 * release reason and any state file set aside at start.
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
  };
}
