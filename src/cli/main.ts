#!/usr/bin/env node
/** The `ixgbevf` executable: wires process I/O and signals into run(). */
import { run } from './program.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (sig: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) process.exit(sig === 'SIGINT' ? 130 : 143); // second Ctrl-C: give up waiting
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await run(process.argv.slice(2), {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
// Anything still holding the loop (a timer of a closed device, a half-closed socket) must not keep a
// finished command alive; an unref'd timer only fires if something else does.
setTimeout(() => process.exit(code), 200).unref();
