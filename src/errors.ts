/**
 * Typed errors. Every error has a stable `code`, a one-line `message` (the cause), a `hint` (the
 * command that fixes it, when there is one) and the CLI `exitCode` of its class (design.md, "Errors and
 * exit codes").
 */

export const ExitCode = {
  ok: 0,
  bug: 1,
  badInput: 2,
  environment: 3,
  pfNotAnswering: 4,
  pfRefused: 5,
  notSupported: 6,
  deviceGone: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface ErrorDetails {
  hint?: string;
  cause?: unknown;
  /** Extra machine-readable facts (PCI address, message id, errno …) for `--json` output. */
  details?: Record<string, unknown>;
}

export abstract class IxgbevfError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, opts: ErrorDetails = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = opts.hint;
    this.details = opts.details ?? {};
  }

  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(Object.keys(this.details).length === 0 ? {} : { details: this.details }),
    };
  }
}

/** Exit 2: bad MAC, VLAN, MTU, PCI address, register offset, unknown `sim` key … */
export class InvalidArgumentError extends IxgbevfError {
  readonly exitCode = ExitCode.badInput;
  constructor(code: string, message: string, opts?: ErrorDetails) {
    super(code, message, opts);
  }
}

/** Exit 3: no IOMMU, not bound to vfio-pci, group not viable, permission, busy, Hyper-V VF. */
export class EnvironmentError extends IxgbevfError {
  readonly exitCode = ExitCode.environment;
  constructor(code: string, message: string, opts?: ErrorDetails) {
    super(code, message, opts);
  }
}

/** Exit 4: the PF is in reset (RSTI stuck: PF interface down?). */
export class PfResetTimeoutError extends IxgbevfError {
  readonly exitCode = ExitCode.pfNotAnswering;
  constructor(message: string, opts?: ErrorDetails) {
    super('ERR_PF_IN_RESET', message, opts);
  }
}

/** Exit 4: a mailbox wait ran out (no PFSTS / PFACK / VFU within the budget). */
export class MailboxTimeoutError extends IxgbevfError {
  readonly exitCode = ExitCode.pfNotAnswering;
  constructor(message: string, opts?: ErrorDetails) {
    super('ERR_MBX_TIMEOUT', message, opts);
  }
}

/**
 * Exit 4: the PF no longer considers this VF clear-to-send (ping without CTS, bare NACK 0x40000000,
 * reply without CTS), or an earlier timeout left the mailbox needing a reset. Recovery: VF reset.
 */
export class ResetRequiredError extends IxgbevfError {
  readonly exitCode = ExitCode.pfNotAnswering;
  constructor(message: string, opts?: ErrorDetails) {
    super('ERR_RESET_REQUIRED', message, opts);
  }
}

/** Exit 5: the PF answered NACK. */
export class PfNackError extends IxgbevfError {
  readonly exitCode = ExitCode.pfRefused;
  constructor(message: string, opts?: ErrorDetails) {
    super('ERR_PF_NACK', message, opts);
  }
}

/** Exit 6: the operation needs a newer mailbox API (or another family) than the PF speaks. */
export class NotSupportedError extends IxgbevfError {
  readonly exitCode = ExitCode.notSupported;
  constructor(message: string, opts?: ErrorDetails) {
    super('ERR_NOT_SUPPORTED', message, opts);
  }
}

/** Exit 7: registers read 0xFFFFFFFF, the device was removed, closed or released to the kernel. */
export class DeviceGoneError extends IxgbevfError {
  readonly exitCode = ExitCode.deviceGone;
  constructor(code: 'ERR_DEVICE_REMOVED' | 'ERR_CLOSED' | 'ERR_RELEASED', message: string, opts?: ErrorDetails) {
    super(code, message, opts);
  }
}

export function isIxgbevfError(err: unknown): err is IxgbevfError {
  return err instanceof IxgbevfError;
}

/** `text` as one line: trimmed, each line break (with the blanks around it) made one space. An error's cause is one line wherever it is printed or logged. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}

// How a caller's value appears in an error message and in an error's `details`: neither helper ever
// throws, whatever the value (a BigInt, a Symbol, an object without a prototype, a circular object, one
// whose toString throws), and what `detailValue` returns always survives JSON.stringify (`--json` prints
// `details`). A bad value must end in its typed error, never in a TypeError raised while describing it.

/** Longest string shown in a message (a 100 kB argument stays a one-line cause). */
const MAX_SHOWN_CHARS = 64;

/** A short, safe description: strings quoted (cut after `maxChars`), numbers and booleans as written, others by kind. */
export function showValue(value: unknown, maxChars = MAX_SHOWN_CHARS): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > maxChars ? `${value.slice(0, maxChars)}…` : value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${BigInt.prototype.toString.call(value)}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
  }
}

/** The value itself when JSON keeps it as it is (a finite number, a string, a boolean, null); otherwise showValue's text. */
export function detailValue(value: unknown): string | number | boolean | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return showValue(value);
}
