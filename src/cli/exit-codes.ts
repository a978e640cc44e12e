/**
 * What each exit code means, in two lengths: the one-line summary of `ixgbevf --help` and the sentences
 * of the man page's EXIT STATUS. Keyed by `ExitCode` (src/errors.ts), so a new code without a meaning
 * does not compile.
 */
import { ExitCode } from '../errors.js';

type ExitName = keyof typeof ExitCode;

export const EXIT_MEANINGS: Readonly<Record<ExitName, { short: string; long: string }>> = {
  ok: { short: 'ok', long: 'ok' },
  badInput: {
    short: 'bad input',
    long: 'bad input: a malformed argument, an unknown option, a missing argument, a device bind/unbind must not touch',
  },
  environment: {
    short: 'environment',
    long: 'environment: no IOMMU, not on vfio-pci, in use, no daemon at a socket you named, the daemon refused you',
  },
  pfNotAnswering: { short: 'PF not answering', long: 'the PF does not answer (in reset, mailbox timeout)' },
  pfRefused: { short: 'PF refused', long: 'the PF refused (NACK)' },
  notSupported: { short: 'not supported', long: 'not supported by this VF or mailbox API' },
  deviceGone: { short: 'device gone', long: 'the device is gone' },
  bug: { short: 'bug', long: 'a bug (an untyped error: the message says so; --verbose prints the stack)' },
};

/** The codes in the order the help lists them: success, the user's and the world's failures, then bugs. */
export function exitCodesInOrder(): { code: number; short: string; long: string }[] {
  return (Object.keys(ExitCode) as ExitName[])
    .map((name) => ({ code: ExitCode[name] as number, ...EXIT_MEANINGS[name] }))
    .sort((a, b) => (a.code === ExitCode.bug ? 100 : a.code) - (b.code === ExitCode.bug ? 100 : b.code));
}

/** `Exit codes: 0 ok, 2 bad input, …, 1 bug.` */
export function exitCodeSummary(): string {
  return `Exit codes: ${exitCodesInOrder().map((e) => `${e.code} ${e.short}`).join(', ')}.`;
}
