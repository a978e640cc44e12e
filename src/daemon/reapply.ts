/**
 * Re-applying a VF's desired state after a reset, in Linux's order (reference §7.1 step 5: XCAST →
 * MULTICAST → VLANs → LPE, then MAC). A refusal of one item is recorded and the rest still applied; a
 * transient error (the PF went away again) or a vanished device aborts the whole pass.
 */
import { DeviceGoneError, MailboxTimeoutError, PfResetTimeoutError, ResetRequiredError } from '../errors.js';
import type { VfApi } from '../vf/types.js';
import { asIxgbevfError } from './errors.js';
import type { DesiredState } from './state.js';

/**
 * One entry of the desired state, as a request changes it: a later accepted request with the same key
 * settles a failure of that entry at the last re-apply (set-mac settles `mac`, `vlan add 5` or `vlan del 5`
 * settles `vlan 5`).
 */
export type DesiredKey = 'xcast' | 'multicast' | 'mtu' | 'mac' | `vlan ${number}`;

export interface ApplyFailure {
  /** What was re-applied, as logged: `mac 02:00:00:00:00:01`, `vlan 5`, `mtu 9000`, `multicast`, `xcast allmulti`. */
  item: string;
  key: DesiredKey;
  code: string;
  message: string;
}

/** Errors that say "try again later" (the PF is away), as opposed to a refusal. */
export function isTransient(err: unknown): boolean {
  return err instanceof ResetRequiredError || err instanceof PfResetTimeoutError || err instanceof MailboxTimeoutError;
}

export async function applyDesired(vf: VfApi, d: DesiredState): Promise<ApplyFailure[]> {
  const failures: ApplyFailure[] = [];
  const step = async (key: DesiredKey, item: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      if (isTransient(err) || err instanceof DeviceGoneError) throw err;
      const e = asIxgbevfError(err);
      failures.push({ item, key, code: e.code, message: e.message });
    }
  };
  if (d.xcast !== undefined) await step('xcast', `xcast ${d.xcast}`, () => vf.setXcastMode(d.xcast!));
  if (d.multicast.length > 0) await step('multicast', 'multicast', () => vf.setMulticast(d.multicast));
  for (const id of d.vlans) await step(`vlan ${id}`, `vlan ${id}`, () => vf.setVlan(id, true));
  if (d.mtu !== undefined) await step('mtu', `mtu ${d.mtu}`, () => vf.setMtu(d.mtu!));
  if (d.mac !== undefined) await step('mac', `mac ${d.mac}`, () => vf.setMac(d.mac!));
  return failures;
}
