/**
 * Reply and log shapes shared by the daemon's request handlers: the desired state on the wire (every
 * field, null when unset), what a state change produced, and the change a request asks for (audit log).
 */
import type { Revision } from './owned-types.js';
import type { PeerCredentials } from './peercred.js';
import type { Request } from './protocol.js';
import type { DesiredState } from './state.js';

/** The desired state on the wire: every field present, null when unset. */
export interface WireDesiredState {
  mac: string | null;
  mtu: number | null;
  vlans: number[];
  multicast: string[];
  xcast: DesiredState['xcast'] | null;
}

export function desiredToWire(d: DesiredState): WireDesiredState {
  return { mac: d.mac ?? null, mtu: d.mtu ?? null, vlans: [...d.vlans], multicast: [...d.multicast], xcast: d.xcast ?? null };
}

/** The state a change produced (its revision and the whole desired state), for its reply. */
export function acceptedFields(accepted: Revision | null): { revision: number | null; desired: WireDesiredState | null } {
  return accepted === null ? { revision: null, desired: null } : { revision: accepted.revision, desired: desiredToWire(accepted.desired) };
}

/** How a request ended, handed to the server's reply before the audit line is written. */
export type RequestOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** Who sent a request (SO_PEERCRED), for the audit log. */
export type Caller = PeerCredentials | null;

export type MutatingRequest = Extract<Request, { op: 'set-mac' | 'mtu' | 'vlan' | 'multicast' | 'xcast' }>;

export function isMutating(req: Request): req is MutatingRequest {
  return req.op === 'set-mac' || req.op === 'mtu' || req.op === 'vlan' || req.op === 'multicast' || req.op === 'xcast';
}

/** The change a mutating request asks for, as audit-log fields. */
export function changeOf(req: MutatingRequest): Record<string, unknown> {
  switch (req.op) {
    case 'set-mac':
      return { mac: req.mac };
    case 'mtu':
      return { mtu: req.mtu };
    case 'vlan':
      return { vlan: req.vlan, action: req.action };
    case 'multicast':
      return { multicast: req.macs };
    case 'xcast':
      return { xcast: req.mode };
  }
}

