/**
 * PCI addresses as sysfs spells them: `dddd:bb:dd.f`, lower-case hex (`/sys/bus/pci/devices/<addr>`).
 * Users may type `BB:DD.F` (domain 0000, as `lspci` prints) and upper-case hex; we normalise.
 */
import { detailValue, InvalidArgumentError, showValue } from '../errors.js';

/** A normalised PCI address, e.g. `0000:01:10.0`. Only `parsePciAddress` makes these. */
export type PciAddress = string & { readonly __brand?: 'PciAddress' };

export interface PciAddressParts {
  domain: number;
  bus: number;
  device: number;
  function: number;
}

// Domain: the kernel prints `%04x`, so it is 4 hex digits except for large domains (VMD: `10000`).
const PATTERN = /^(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i;

/** Splits a PCI address into its numeric parts, or returns undefined when it is not one. */
export function splitPciAddress(input: string): PciAddressParts | undefined {
  const m = PATTERN.exec(input.trim());
  if (m === null) return undefined;
  const parts: PciAddressParts = {
    domain: m[1] === undefined ? 0 : parseInt(m[1], 16),
    bus: parseInt(m[2]!, 16),
    device: parseInt(m[3]!, 16),
    function: parseInt(m[4]!, 16),
  };
  if (parts.device > 0x1f) return undefined;
  return parts;
}

export function formatPciAddress(parts: PciAddressParts): PciAddress {
  const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return `${hex(parts.domain, 4)}:${hex(parts.bus, 2)}:${hex(parts.device, 2)}.${parts.function}`;
}

export function isPciAddress(input: string): boolean {
  return splitPciAddress(input) !== undefined;
}

/**
 * Validates and normalises a PCI address. Throws `InvalidArgumentError` `ERR_INVALID_PCI_ADDRESS` (exit 2)
 * with the hint `ixgbevf list`.
 */
export function parsePciAddress(input: string): PciAddress {
  const parts = typeof input === 'string' ? splitPciAddress(input) : undefined;
  if (parts === undefined) {
    throw new InvalidArgumentError(
      'ERR_INVALID_PCI_ADDRESS',
      `invalid PCI address ${showValue(input)}: expected DDDD:BB:DD.F or BB:DD.F (hex; device ≤ 1f, function ≤ 7)`,
      { hint: 'ixgbevf list', details: { input: detailValue(input) } },
    );
  }
  return formatPciAddress(parts);
}
