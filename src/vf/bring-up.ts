import type { ResetResult, VfApi } from './types.js';

/**
 * What every user of a freshly opened (or reset-requiring) VF does first: VF reset, then API
 * negotiation — the PF forgets the negotiated API on every reset (reference §5.3), so the two always
 * go together. Returns the reset's result (permanent MAC, mc filter type).
 */
export async function resetAndNegotiate(vf: VfApi): Promise<ResetResult> {
  const result = await vf.reset();
  await vf.negotiateApi();
  return result;
}
