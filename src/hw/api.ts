/**
 * Mailbox API versions and their **wire values** (the `ixgbe_pfvf_api_rev` enum, reference §5.3).
 * The enum order puts 2.0 = 1 between 1.0 and 1.1: never assume value = minor version.
 */
export const ApiVersion = {
  V1_0: 0,
  V2_0: 1,
  V1_1: 2,
  V1_2: 3,
  V1_3: 4,
  V1_4: 5,
  V1_5: 6,
  V1_6: 7,
  V1_7: 8,
} as const;
export type ApiVersion = (typeof ApiVersion)[keyof typeof ApiVersion];

const NAMES: Record<ApiVersion, string> = {
  0: '1.0',
  1: '2.0',
  2: '1.1',
  3: '1.2',
  4: '1.3',
  5: '1.4',
  6: '1.5',
  7: '1.6',
  8: '1.7',
};

/** Human form ("1.4") of a wire value; "unknown" for anything else. */
export function apiName(api: ApiVersion): string {
  return typeof api === 'number' && Object.hasOwn(NAMES, api) ? NAMES[api] : 'unknown';
}

/** Parses "1.4" → wire value; undefined for unknown text. */
export function parseApiVersion(text: string): ApiVersion | undefined {
  const entry = Object.entries(NAMES).find(([, name]) => name === text);
  return entry === undefined ? undefined : (Number(entry[0]) as ApiVersion);
}

/**
 * Linux ixgbevf's order (§5.3): newest first, stopping at the first ACK. 1.5 ("ESX") is tried by
 * Linux too; a Linux PF NACKs it harmlessly (§5.3, §11.4 #6). 2.0 is never offered.
 */
export const NEGOTIATION_ORDER: readonly ApiVersion[] = [
  ApiVersion.V1_7,
  ApiVersion.V1_6,
  ApiVersion.V1_5,
  ApiVersion.V1_4,
  ApiVersion.V1_3,
  ApiVersion.V1_2,
  ApiVersion.V1_1,
  ApiVersion.V1_0,
];

/**
 * Rank for "at least" comparisons in the 1.x line (1.0 < 1.1 < … < 1.7). 2.0 is a different
 * namespace and ranks below 1.1 for our purposes: we never negotiate it.
 */
const RANK: Record<ApiVersion, number> = { 0: 10, 1: 0, 2: 11, 3: 12, 4: 13, 5: 14, 6: 15, 7: 16, 8: 17 };

export function apiAtLeast(api: ApiVersion, minimum: ApiVersion): boolean {
  return RANK[api] >= RANK[minimum];
}
