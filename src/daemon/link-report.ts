/**
 * What the VF reports for `link` and `info`, the same on the daemon and the direct CLI paths: the link as
 * Linux's driver sees it, the admin state and the PF's link; and a query the PF or API may not support
 * (GET_QUEUES, GET_LINK_STATE), which then reads as null instead of failing the report.
 */
import { apiName } from '../hw/api.js';
import { NotSupportedError } from '../errors.js';
import type { VfApi } from '../vf/types.js';

/**
 * The link as Linux's ixgbevf_check_mac_link_vf gets it (VfApi.checkLink: GET_PF_LINK_STATE on an E610 at
 * API ≥ 1.6, whose VFLINKS is stale; the link register otherwise), plus the admin state when the API
 * allows. `pfLink` is that same answer when it came from the PF (null otherwise).
 */
export async function linkReport(vf: VfApi): Promise<Record<string, unknown>> {
  const link = await vf.checkLink();
  const adminEnabled = await unlessNotSupported(() => vf.getLinkState());
  const pfLink = link.source === 'GET_PF_LINK_STATE' ? link : null;
  return { link, adminEnabled, pfLink, api: apiName(vf.api) };
}

/** `query()`'s answer, or null when it throws NotSupportedError (the API or the PF lacks the message). */
export async function unlessNotSupported<T>(query: () => Promise<T>): Promise<T | null> {
  try {
    return await query();
  } catch (err) {
    if (!(err instanceof NotSupportedError)) throw err;
    return null;
  }
}
