/**
 * Test-only preload for the real `ixgbevf` (`node --import tsx --import test/helpers/signal-at-moment.mjs
 * src/cli/main.ts …`): sends the process a signal ($IXGBEVF_TEST_SIGNAL, default SIGINT) at the moment
 * named in $IXGBEVF_TEST_SIGNAL_AT, so a test can hit a window that is too short to aim at from outside:
 *   loading-program  while the module loader loads src/cli/program.ts (the CLI's commands, tens of ms)
 *   before-exit      when the process is about to end on its own ('beforeExit': the command has
 *                    returned and its report is written)
 * No production code knows.
 */
import { register } from 'node:module';

const at = process.env.IXGBEVF_TEST_SIGNAL_AT;
const signal = process.env.IXGBEVF_TEST_SIGNAL ?? 'SIGINT';
if (at === 'loading-program') {
  // The loader's hooks run on their own thread: they signal this process by its PID.
  register(new URL('./signal-at-moment-hooks.mjs', import.meta.url), { data: { pid: process.pid, signal } });
} else if (at === 'before-exit') {
  // 'beforeExit': the command has returned, its report is written and nothing holds the event loop.
  process.once('beforeExit', () => process.kill(process.pid, signal));
}
