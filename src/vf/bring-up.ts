/**
 * `resetAndNegotiate`: the VF bring-up every path uses (CLI, daemon, smoke engine, library), in the order
 * and with the messages of the stock Linux ixgbevf:
 *
 * 1. VF reset (ixgbevf_reset → reset_hw: CTRL.RST, VF_RESET);
 * 2. API negotiation, newest first (ixgbevf_negotiate_api) — the PF forgets the API on every reset;
 * 3. GET_QUEUES where ixgbevf sends it: ixgbe families at API ≥ 1.1 (ixgbevf_configure_dcb /
 *    ixgbevf_set_num_queues → ixgbevf_get_queues, which sends nothing below 1.1). igb has neither
 *    negotiation nor GET_QUEUES, so its bring-up is the reset alone (igbvf_reset).
 *
 * A refused GET_QUEUES is not fatal (ixgbevf carries on with its defaults): `queues` is then null. What
 * comes after (MAC, MTU, multicast, xcast, VLANs) is the caller's configuration.
 */
import { ApiVersion, apiAtLeast } from '../hw/api.js';
import { InvalidArgumentError, PfNackError, showValue } from '../errors.js';
import type { QueueInfo, ResetResult, VfApi } from './types.js';

export interface BringUpResult extends ResetResult {
  /** The negotiated API (1.0 on igb). */
  api: ApiVersion;
  /** The GET_QUEUES answer, or null when the family/API has none or the PF refused it. */
  queues: QueueInfo | null;
}

/** Whether ixgbevf sends GET_QUEUES at bring-up for this VF at this API. */
export function bringUpAsksQueues(vf: Pick<VfApi, 'family' | 'api'>): boolean {
  return vf.family.negotiatesApi && apiAtLeast(vf.api, ApiVersion.V1_1);
}

export async function resetAndNegotiate(vf: VfApi): Promise<BringUpResult> {
  const v = vf as Partial<VfApi> | null | undefined;
  if (typeof v?.reset !== 'function' || typeof v.negotiateApi !== 'function') {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `resetAndNegotiate(vf) needs the VF of an open handle, got ${showValue(vf)}`, { hint: 'resetAndNegotiate(handle.vf), with handle = await openVf(...)' });
  }
  const reset = await vf.reset();
  const api = await vf.negotiateApi();
  let queues: QueueInfo | null = null;
  if (bringUpAsksQueues(vf)) {
    try {
      queues = await vf.getQueues();
    } catch (err) {
      if (!(err instanceof PfNackError)) throw err;
    }
  }
  return { ...reset, api, queues };
}
