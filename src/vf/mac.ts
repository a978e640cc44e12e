/**
 * MAC address text ⇄ bytes ⇄ mailbox words. Words use the kernel's byte order (reference §5.4): byte 0 is
 * bits 7:0 of word 1 … byte 3 bits 31:24 of word 1, byte 4 bits 7:0 of word 2, byte 5 bits 15:8 of word 2
 * (a memcpy into little-endian u32s).
 */
import { detailValue, InvalidArgumentError, showValue } from '../errors.js';
import type { MacBytes } from './types.js';

const MAC_BYTES = 6;
const MULTICAST_BIT = 0x01;

function invalid(text: unknown, why: string): InvalidArgumentError {
  return new InvalidArgumentError('ERR_INVALID_MAC', `invalid MAC address ${showValue(text)}: ${why}`, {
    hint: 'write six hex bytes separated by ":" or "-", e.g. 02:11:22:33:44:55',
    details: { mac: detailValue(text) },
  });
}

/** The value of one hex digit's char code, or -1. */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30; // 0-9
  const lower = code | 0x20; // A-F → a-f
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

const MAC_TEXT_LENGTH = 17; // 6 × 2 digits + 5 separators
const COLON = 0x3a;
const DASH = 0x2d;

/**
 * Parses `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` (one separator style, either case). Syntax only.
 * A char-code scan, no regex: this runs on every set-MAC and every multicast entry.
 */
export function parseMac(text: string): MacBytes {
  if (typeof text !== 'string' || text.length !== MAC_TEXT_LENGTH) throw invalidSyntax(text);
  const separator = text.charCodeAt(2);
  if (separator !== COLON && separator !== DASH) throw invalidSyntax(text);
  const bytes: number[] = [];
  for (let i = 0; i < MAC_BYTES; i += 1) {
    const at = 3 * i;
    if (i > 0 && text.charCodeAt(at - 1) !== separator) throw invalidSyntax(text);
    const high = hexDigit(text.charCodeAt(at));
    const low = hexDigit(text.charCodeAt(at + 1));
    if (high < 0 || low < 0) throw invalidSyntax(text);
    bytes.push((high << 4) | low);
  }
  return bytes as unknown as MacBytes;
}

function invalidSyntax(text: unknown): InvalidArgumentError {
  return invalid(text, typeof text === 'string' ? 'expected 6 hex bytes separated by ":" or "-"' : 'expected a string of 6 hex bytes separated by ":" or "-"');
}

const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** `aa:bb:cc:dd:ee:ff`, lower case (a table lookup per byte; anything not a byte is printed as before). */
export function formatMac(bytes: readonly number[]): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 1) {
    if (i > 0) text += ':';
    const byte = bytes[i]!;
    text += HEX_PAIRS[byte] ?? byte.toString(16).padStart(2, '0');
  }
  return text;
}

export function isMulticastMac(bytes: readonly number[]): boolean {
  return ((bytes[0] ?? 0) & MULTICAST_BIT) !== 0;
}

export function isZeroMac(bytes: readonly number[]): boolean {
  return bytes.every((b) => b === 0);
}

/** A unicast station address: valid syntax, not multicast (bit 0 of byte 0), not all zero. */
export function parseUnicastMac(text: string): MacBytes {
  const bytes = parseMac(text);
  if (isMulticastMac(bytes)) throw invalid(text, 'it is a multicast address (bit 0 of the first byte is set)');
  if (isZeroMac(bytes)) throw invalid(text, 'it is all zero');
  return bytes;
}

/** A multicast group address (bit 0 of byte 0 set). */
export function parseMulticastMac(text: string): MacBytes {
  const bytes = parseMac(text);
  if (!isMulticastMac(bytes)) throw invalid(text, 'not a multicast address (bit 0 of the first byte is clear)');
  return bytes;
}

/** [word 1, word 2] of SET_MAC_ADDR / SET_MACVLAN / the RESET reply. */
export function macToWords(bytes: readonly number[]): [number, number] {
  if (bytes.length !== MAC_BYTES) throw new RangeError('a MAC has 6 bytes');
  const lo = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  const hi = (bytes[4]! | (bytes[5]! << 8)) >>> 0;
  return [lo, hi];
}

export function macFromWords(lo: number, hi: number): MacBytes {
  return [lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, (lo >>> 24) & 0xff, hi & 0xff, (hi >>> 8) & 0xff];
}
