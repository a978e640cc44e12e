/**
 * Fatal signals → the daemon's clean stop. Every catchable signal whose default action ends the process
 * (SIGHUP included: the daemon has no configuration to reload, so a hangup stops it cleanly) releases the
 * VFs, writes the pending state, removes the socket and logs `stopped`; then the signal is raised again
 * with its default action, so the process ends "killed by SIGHUP" as a supervisor expects. A signal that
 * already has a listener (the CLI's SIGINT/SIGTERM, which end run() and stop the daemon there) is left to
 * it. The service manager hears STOPPING=1 at once, even while the daemon is still starting (notify.ts).
 * A second signal while stopping gives up waiting. Not handled: SIGKILL/SIGSTOP (impossible), SIGQUIT
 * (Node's default core dump, for debugging), SIGUSR1 (Node's inspector), SIGSEGV/SIGBUS/SIGFPE/SIGILL
 * (no JavaScript may run after them), SIGPROF (V8's profiler).
 */
import type { Logger } from './log.js';
import { notifyProcessStopping } from './notify.js';

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGUSR2', 'SIGALRM', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ', 'SIGPWR'];

export interface Stoppable {
  stop(reason: string): Promise<void>;
}

interface Registration {
  target: Stoppable;
  logger: Logger;
}

const running = new Set<Registration>();
const installed = new Map<NodeJS.Signals, (sig: NodeJS.Signals) => void>();
let stopping = false;

function uninstallAll(): void {
  for (const [sig, handler] of installed) process.off(sig, handler);
  installed.clear();
}

async function onSignal(sig: NodeJS.Signals): Promise<void> {
  if (stopping) {
    // Second signal: stop waiting for the clean path.
    uninstallAll();
    process.kill(process.pid, sig);
    return;
  }
  stopping = true;
  // STOPPING=1 before anything else, even while the daemon is still starting (no notifier of its own yet).
  notifyProcessStopping();
  const targets = [...running];
  for (const r of targets) r.logger.log('info', 'signal', { signal: sig, action: 'stop: release the VFs, remove the socket' });
  await Promise.allSettled(targets.map((r) => r.target.stop(sig)));
  uninstallAll();
  // Default action now: the process ends by this signal, as its sender expects.
  process.kill(process.pid, sig);
}

/** Routes the stop signals nobody else handles to `target.stop(<signal>)` until the returned function is called. */
export function stopOnSignals(target: Stoppable, logger: Logger): () => void {
  const reg: Registration = { target, logger };
  running.add(reg);
  for (const sig of STOP_SIGNALS) {
    if (installed.has(sig) || process.listenerCount(sig) > 0) continue;
    const handler = (s: NodeJS.Signals): void => void onSignal(s);
    try {
      process.on(sig, handler);
      installed.set(sig, handler);
    } catch {
      // A signal this platform does not have.
    }
  }
  return () => {
    running.delete(reg);
    if (running.size === 0 && !stopping) uninstallAll();
  };
}
