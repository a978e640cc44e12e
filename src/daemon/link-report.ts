/** The `link` report (daemon and direct CLI paths): the VF's link as Linux's driver sees it, the admin state, the PF's link. */
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
  let adminEnabled: boolean | null = null;
  try {
    adminEnabled = await vf.getLinkState();
  } catch (err) {
    if (!(err instanceof NotSupportedError)) throw err;
  }
  const pfLink = link.source === 'GET_PF_LINK_STATE' ? link : null;
  return { link, adminEnabled, pfLink, api: apiName(vf.api) };
}
