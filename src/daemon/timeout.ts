/**
 * What a mailbox timeout means for a daemon-owned VF. ixgbe's timeouts are not sticky (the next request
 * goes out normally), so a timeout may only mean the PF was resetting: if a PF reset is seen (already
 * flagged, or found by checking the PF's events), the timeout becomes a ResetRequiredError (bring-up,
 * re-apply, one retry); otherwise it stands.
 */
import { ResetRequiredError, type MailboxTimeoutError } from '../errors.js';
import type { VfApi } from '../vf/types.js';

export async function timeoutOrResetRequired(vf: VfApi, timeout: MailboxTimeoutError): Promise<MailboxTimeoutError | ResetRequiredError> {
  let pfReset = vf.needsReset;
  if (!pfReset) {
    try {
      pfReset = (await vf.checkPfEvents()).pfReset || vf.needsReset;
    } catch {
      pfReset = vf.needsReset;
    }
  }
  if (!pfReset) return timeout;
  return new ResetRequiredError(`the PF did not answer and was reset meanwhile (${timeout.message})`, { cause: timeout });
}
