#!/usr/bin/env node
/**
 * The `ixgbevf` executable: wires process I/O and signals into run(). Owns what only a real process has:
 * the event loop's lifetime (a command waiting for Ctrl-C keeps the process alive), signals, and output
 * into a closed pipe (`ixgbevf --help | head -1` ends quietly, as `ls | head` does).
 */
const controller = new AbortController();
const abandon = new AbortController(); // the second signal: a command's last words (written synchronously), then exit
let signals = 0;
const onSignal = (sig: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) {
    abandon.abort();
    process.exit(sig === 'SIGINT' ? 130 : sig === 'SIGHUP' ? 129 : 143); // second Ctrl-C: give up waiting
  }
  // Under a service manager (the daemon under systemd): STOPPING=1 first, not once run() gets to stop
  // (the daemon may still be starting), and no READY=1 after it. notify.js is loaded only then.
  if ((process.env['NOTIFY_SOCKET'] ?? '') === '') {
    controller.abort();
    return;
  }
  void import('../daemon/notify.js')
    .then((m) => m.notifyProcessStopping())
    .catch(() => undefined)
    .finally(() => controller.abort());
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A hangup (the terminal or SSH session closed) ends a command as SIGTERM does: `smoke` still puts the VF
// and the PF back, `watch` / `--hold` release the VF. Its default action would kill the process on the
// spot. The daemon handles SIGHUP itself (leaveHangupToDaemon).
process.on('SIGHUP', onSignal);
const leaveHangupToDaemon = (): void => void process.off('SIGHUP', onSignal);
// Loaded only now, with the handlers in place: a signal while the CLI's modules load (tens of ms) ends the
// command as one later does (one --json document, `smoke` interrupted), not the process on the spot.
const { run } = await import('./program.js');

// A reader that went away (EPIPE) is not an error of ours: drop further output and stop whatever streams.
// Any other write error (a full disk: ENOSPC, EDQUOT; EIO) loses output the user asked for: further output
// is dropped too, and after the command a one-line error on stderr says so and the exit code is 3
// (environment) unless the command already failed with its own code. Never an uncaught exception.
const quietlyClosed = new Set(['EPIPE', 'ECONNRESET', 'EBADF']);
const closed = { stdout: false, stderr: false };
const writeFailed: { stdout: NodeJS.ErrnoException | null; stderr: NodeJS.ErrnoException | null } = { stdout: null, stderr: null };
const onStreamError = (name: 'stdout' | 'stderr') => (err: NodeJS.ErrnoException): void => {
  if (closed[name]) return; // the writes queued behind the first failure (ERR_STREAM_DESTROYED …)
  closed[name] = true;
  if (!quietlyClosed.has(err.code ?? '')) writeFailed[name] = err;
  if (name === 'stdout') controller.abort();
};
process.stdout.on('error', onStreamError('stdout'));
process.stderr.on('error', onStreamError('stderr'));
const write = (name: 'stdout' | 'stderr', text: string): void => {
  if (closed[name]) return;
  try {
    process[name].write(text);
  } catch (err) {
    onStreamError(name)(err as NodeJS.ErrnoException);
  }
};

/** The one-line error for output that could not be written (stdout's: stderr may still work). */
function writeFailure(err: NodeJS.ErrnoException): string {
  const cause = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? `${err.code}: no space left where stdout goes` : `${err.code ?? 'error'}: ${String(err.message).split('\n')[0]}`;
  const fix = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? '\n  fix: df -h' : '';
  return `ixgbevf: error: could not write the output to stdout (${cause}); the output is incomplete${fix}\n`;
}

// `watch sim` or `--hold` on the simulated VF waits on nothing the event loop counts (no socket, no fd):
// this timer keeps the process alive until run() settles (it never fires in practice).
const keepAlive = setInterval(() => undefined, 2 ** 30);
let code: number;
try {
  code = await run(process.argv.slice(2), {
    stdout: (s) => write('stdout', s),
    stderr: (s) => write('stderr', s),
    env: process.env,
    signal: controller.signal,
    abandon: abandon.signal,
    leaveHangupToDaemon,
  });
} finally {
  clearInterval(keepAlive);
}
// A failed write reports its error a tick or two later (the stream destroys itself first): let it arrive.
await new Promise((resolve) => setImmediate(resolve));
if (writeFailed.stdout !== null) {
  write('stderr', writeFailure(writeFailed.stdout));
  if (code === 0) code = 3;
}
process.exitCode = code;
// The command is done and has said so: a signal from now on is ignored, and the process ends with the
// command's own code (left to the default action, it would die with 130 after a complete report).
const ignoreSignal = (): void => undefined;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.off(sig, onSignal);
  process.on(sig, ignoreSignal);
}
// Anything still holding the loop (a timer of a closed device, a half-closed socket) must not keep a
// finished command alive; an unref'd timer only fires if something else does.
setTimeout(() => process.exit(code), 200).unref();
