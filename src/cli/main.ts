#!/usr/bin/env node
/**
 * The `ixgbevf` executable: wires process I/O and signals into run(). Owns what only a real process has:
 * the event loop's lifetime (a command waiting for Ctrl-C keeps the process alive), signals, and output
 * into a closed pipe (`ixgbevf --help | head -1` ends quietly, as `ls | head` does).
 */
import { run } from './program.js';

const controller = new AbortController();
const abandon = new AbortController(); // the second signal: a command's last words (written synchronously), then exit
let signals = 0;
const onSignal = (sig: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) {
    abandon.abort();
    process.exit(sig === 'SIGINT' ? 130 : 143); // second Ctrl-C: give up waiting
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

// A reader that went away (EPIPE) is not an error of ours: drop further output and stop whatever streams.
const closed = { stdout: false, stderr: false };
const onStreamError = (name: 'stdout' | 'stderr') => (err: NodeJS.ErrnoException): void => {
  if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET' && err.code !== 'EBADF') throw err;
  closed[name] = true;
  if (name === 'stdout') controller.abort();
};
process.stdout.on('error', onStreamError('stdout'));
process.stderr.on('error', onStreamError('stderr'));
const write = (name: 'stdout' | 'stderr', text: string): void => {
  if (closed[name]) return;
  process[name].write(text);
};

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
  });
} finally {
  clearInterval(keepAlive);
}
process.exitCode = code;
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
// Anything still holding the loop (a timer of a closed device, a half-closed socket) must not keep a
// finished command alive; an unref'd timer only fires if something else does.
setTimeout(() => process.exit(code), 200).unref();
