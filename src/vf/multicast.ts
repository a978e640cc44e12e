/**
 * SET_MULTICAST hashing and packing (reference §5.4). The 12-bit hash picks address bits by
 * `mc_filter_type` (from the RESET reply); hashes travel as a packed u16 array in words 1..15.
 */
import { MAILBOX_WORDS } from '../hw/mailbox.js';
import { MAX_MULTICAST_PER_MESSAGE, MULTICAST_HASH_MASK } from '../hw/messages.js';

/** Right shift of byte 4 and left shift of byte 5 per filter type 0..3 (bits 47:36, 46:35, 45:34, 43:32). */
const HASH_SHIFTS: readonly (readonly [number, number])[] = [
  [4, 4],
  [3, 5],
  [2, 6],
  [0, 8],
];

/**
 * The 12-bit MTA vector of a multicast address. Unknown filter types hash as type 0, as Linux's
 * `ixgbevf_mta_vector` falls back (it only logs).
 */
export function multicastHash(mac: readonly number[], filterType: number): number {
  const [right, left] = HASH_SHIFTS[filterType] ?? HASH_SHIFTS[0]!;
  return ((mac[4]! >>> right) | (mac[5]! << left)) & MULTICAST_HASH_MASK;
}

/**
 * Words 1..15 carrying up to 30 hashes: hash i in word 1 + ⌊i/2⌋, low half for even i, high half for
 * odd i. Always 15 words (ixgbevf sends the whole 16-word message).
 */
export function packHashes(hashes: readonly number[]): number[] {
  if (hashes.length > MAX_MULTICAST_PER_MESSAGE) throw new RangeError(`at most ${MAX_MULTICAST_PER_MESSAGE} hashes per message`);
  const words = new Array<number>(MAILBOX_WORDS - 1).fill(0);
  hashes.forEach((hash, i) => {
    const index = i >> 1;
    words[index] = (words[index]! | ((hash & 0xffff) << (i % 2 === 0 ? 0 : 16))) >>> 0;
  });
  return words;
}

/** Inverse of packHashes (for tests and the simulator's view). */
export function unpackHashes(words: readonly number[], count: number): number[] {
  const hashes: number[] = [];
  for (let i = 0; i < count; i += 1) hashes.push((words[i >> 1]! >>> (i % 2 === 0 ? 0 : 16)) & 0xffff);
  return hashes;
}
