/**
 * What `openVf(spec, options)` accepts, checked before anything is opened: a JavaScript caller (no
 * compiler between it and us) gets a typed InvalidArgumentError for a spec that is not a string or an
 * option of the wrong kind, never a TypeError from deep inside nor a bad option that only fails later.
 */
import { InvalidArgumentError, showValue } from '../errors.js';
import { parseSimSpec } from '../sim/spec.js';
import type { OpenOptions } from './types.js';

const SPEC_HINT = 'name a VF by its PCI address (ixgbevf list shows them), e.g. openVf("0000:03:10.0"), or the simulated VF: openVf("sim")';

function badOption(name: string, expected: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError('ERR_INVALID_ARGUMENT', `openVf: option ${name} must be ${expected}, got ${showValue(value)}`, {
    hint: 'see OpenOptions in the package types: timeoutMs (ms > 0), poll (boolean), onTrace (function), sysfsRoot (path)',
    details: { option: name },
  });
}

/** The spec, a non-empty string. */
export function checkSpec(spec: unknown): string {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', `openVf: the VF must be named by a non-empty string, got ${showValue(spec)}`, { hint: SPEC_HINT });
  }
  return spec;
}

/** The options (undefined or null: none), each of its kind; returns them as given. */
export function checkOpenOptions(options: unknown): OpenOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw badOption('object', 'an object (or left out)', options);
  const o = options as Record<string, unknown>;
  const { timeoutMs, poll, onTrace, sysfsRoot } = o;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
    throw badOption('timeoutMs', 'a positive number of milliseconds', timeoutMs);
  }
  if (poll !== undefined && typeof poll !== 'boolean') throw badOption('poll', 'true or false', poll);
  if (onTrace !== undefined && typeof onTrace !== 'function') throw badOption('onTrace', 'a function', onTrace);
  if (sysfsRoot !== undefined && (typeof sysfsRoot !== 'string' || sysfsRoot === '')) throw badOption('sysfsRoot', 'a non-empty path', sysfsRoot);
  return o as OpenOptions;
}

/** Checks a `sim[:key=value,...]` spec without opening anything (ERR_INVALID_SIM_SPEC, exit 2): for front ends that only name one. */
export function checkSimSpec(spec: string): void {
  parseSimSpec(spec);
}
