/** MAC address helpers for the simulator: the mailbox packs MAC bytes little-endian into words 1–2 (§5.4). */
import { InvalidArgumentError } from '../errors.js';

export type MacBytes = readonly [number, number, number, number, number, number];

export const ZERO_MAC = '00:00:00:00:00:00';

/** Bytes 0..5 from mailbox words (byte0 = bits 7:0 of word `lo`, byte4 = bits 7:0 of word `hi`). */
export function macFromWords(lo: number, hi: number): string {
  const b = [lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, (lo >>> 24) & 0xff, hi & 0xff, (hi >>> 8) & 0xff];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Mailbox words [lo, hi] for a MAC ("aa:bb:cc:dd:ee:ff"). */
export function macToWords(mac: string): [number, number] {
  const b = macBytes(mac);
  return [(b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0, (b[4] | (b[5] << 8)) >>> 0];
}

export function macBytes(mac: string): MacBytes {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new InvalidArgumentError('ERR_INVALID_MAC', `invalid MAC address "${mac}"`, {
      hint: 'use six hex octets separated by colons, e.g. 02:00:00:00:00:01',
    });
  }
  return parts.map((p) => parseInt(p, 16)) as unknown as MacBytes;
}

export function normalizeMac(mac: string): string {
  return macBytes(mac)
    .map((x) => x.toString(16).padStart(2, '0'))
    .join(':');
}

export function isZeroMac(mac: string): boolean {
  return macBytes(mac).every((b) => b === 0);
}

/** is_valid_ether_addr: not multicast (bit 0 of byte 0) and not all zero. */
export function isValidUnicastMac(mac: string): boolean {
  const b = macBytes(mac);
  return (b[0] & 1) === 0 && !isZeroMac(mac);
}
