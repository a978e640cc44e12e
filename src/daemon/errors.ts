/** Errors the daemon makes up itself, and errors carried over the socket (any exit code). */
import { IxgbevfError, type ErrorDetails, type ExitCode, ExitCode as Codes, isIxgbevfError, oneLine } from '../errors.js';

/** An error with a chosen exit code: used for daemon-side conditions and for replies read off the socket. */
export class DaemonError extends IxgbevfError {
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: number, opts?: ErrorDetails) {
    super(code, message, opts);
    this.exitCode = (Object.values(Codes) as number[]).includes(exitCode) ? (exitCode as ExitCode) : Codes.bug;
  }
}

/** Anything thrown, as an IxgbevfError (a non-typed error is a bug: exit 1, code ERR_INTERNAL). */
export function asIxgbevfError(err: unknown): IxgbevfError {
  if (isIxgbevfError(err)) return err;
  // One line, as every error's cause (a client prints it on one line, a log line holds it as one field).
  const message = oneLine(err instanceof Error ? err.message : String(err));
  return new DaemonError('ERR_INTERNAL', `internal error: ${message}`, Codes.bug, {
    hint: 'this is a bug: please report it with the daemon log',
    cause: err,
  });
}
