/**
 * Linux ixgbe PF kernel generations, as far as the VF mailbox sees them (ixgbe_sriov.c): which API
 * versions each generation's `ixgbe_negotiate_vf_api` accepts, which versions each handler serves, and
 * which messages exist. The simulator (`sim:pfkernel=…`) models a PF from this table, and the emulated-rig
 * e2e tests import it (dist/hw/pf-kernel.js) to know what a given PF negotiates.
 *
 * Sources: 6.1 — Debian linux-source-6.1 (6.1.176) ixgbe_sriov.c, read function by function; 6.12 — the
 * stock Debian 6.12 ixgbe PF in the emulated rig negotiated 1.4 and refused 1.5–1.7 (issue 13), its
 * module (6.12.95) has no E610 support and no MDD restore ping, and its handlers are taken to be 6.1's
 * (no mailbox change between them is known); newest — 2026 net-next
 * ixgbe_sriov.c (API 1.6 "GET_PF_LINK_STATE" for E610 and 1.7 FEATURES_NEGOTIATE added; 1.5 never).
 */
import { ApiVersion } from './api.js';

export type PfKernelGeneration = '6.1' | '6.12' | 'newest';

export const PF_KERNEL_GENERATION_NAMES: readonly PfKernelGeneration[] = ['6.1', '6.12', 'newest'];

/** What the simulator models when no generation is named: the newest PF (every message exists). */
export const DEFAULT_PF_KERNEL: PfKernelGeneration = 'newest';

export interface PfKernelTable {
  readonly generation: PfKernelGeneration;
  /** ixgbe_negotiate_vf_api: the versions ACKed (everything else, 1.5 and 2.0 included, is NACKed). */
  readonly negotiableApis: readonly ApiVersion[];
  /** ixgbe_get_vf_queues: the versions it serves (2.0 is listed there although it is never negotiated). */
  readonly queuesApis: readonly ApiVersion[];
  /** ixgbe_set_vf_lpe: the versions for which an 82599 with a jumbo PF accepts jumbo VF frames. */
  readonly jumboApis: readonly ApiVersion[];
  /** ixgbe_get_vf_reta / _rss_key / ixgbe_get_vf_link_state / ixgbe_update_vf_xcast_mode (1.2 without PROMISC). */
  readonly api12PlusApis: readonly ApiVersion[];
  /** ixgbe_send_vf_link_status (E610 only); empty: the message is unhandled ("Unhandled Msg", NACK). */
  readonly pfLinkStateApis: readonly ApiVersion[];
  /** ixgbe_negotiate_vf_features exists (API 1.7); false: unhandled (NACK). */
  readonly featuresNegotiate: boolean;
  /** ixgbe_check_mdd_event's restore ping (CTS dropped, 0x20000100 sent); false in the older generations. */
  readonly mddRestorePing: boolean;
  /** The generation's ixgbe drives E610 at all (6.12's module has no E610 support). */
  readonly drivesE610: boolean;
}

const { V1_0, V2_0, V1_1, V1_2, V1_3, V1_4, V1_6, V1_7 } = ApiVersion;

const UP_TO_1_4: PfKernelTable = {
  generation: '6.1',
  negotiableApis: [V1_0, V1_1, V1_2, V1_3, V1_4],
  queuesApis: [V2_0, V1_1, V1_2, V1_3, V1_4],
  jumboApis: [V1_1, V1_2, V1_3, V1_4],
  api12PlusApis: [V1_2, V1_3, V1_4],
  pfLinkStateApis: [],
  featuresNegotiate: false,
  mddRestorePing: false,
  drivesE610: false,
};

export const PF_KERNEL_GENERATIONS: Readonly<Record<PfKernelGeneration, PfKernelTable>> = {
  '6.1': UP_TO_1_4,
  '6.12': { ...UP_TO_1_4, generation: '6.12' },
  newest: {
    generation: 'newest',
    negotiableApis: [V1_0, V1_1, V1_2, V1_3, V1_4, V1_6, V1_7],
    queuesApis: [V2_0, V1_1, V1_2, V1_3, V1_4, V1_6, V1_7],
    jumboApis: [V1_1, V1_2, V1_3, V1_4, V1_6, V1_7],
    api12PlusApis: [V1_2, V1_3, V1_4, V1_6, V1_7],
    pfLinkStateApis: [V1_6, V1_7],
    featuresNegotiate: true,
    mddRestorePing: true,
    drivesE610: true,
  },
};

/** Ranks of the 1.x line, to find the newest entry of a list (the wire values are not ordered: 2.0 = 1). */
const MINOR: Readonly<Record<number, number>> = { [V1_0]: 0, [V1_1]: 1, [V1_2]: 2, [V1_3]: 3, [V1_4]: 4, [ApiVersion.V1_5]: 5, [V1_6]: 6, [V1_7]: 7 };

/** The newest API a PF of this generation agrees to (what a Linux ixgbevf, trying newest first, ends up with). */
export function newestApiOfPfKernel(generation: PfKernelGeneration): ApiVersion {
  if (typeof generation !== 'string' || !Object.hasOwn(PF_KERNEL_GENERATIONS, generation)) {
    throw new RangeError(`unknown PF kernel generation: expected one of ${Object.keys(PF_KERNEL_GENERATIONS).join(', ')}`);
  }
  const table = PF_KERNEL_GENERATIONS[generation];
  return table.negotiableApis.reduce((best, api) => ((MINOR[api] ?? -1) > (MINOR[best] ?? -1) ? api : best), V1_0);
}

export function isPfKernelGeneration(text: string): text is PfKernelGeneration {
  return (PF_KERNEL_GENERATION_NAMES as readonly string[]).includes(text);
}
