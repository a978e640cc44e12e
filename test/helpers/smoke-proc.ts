/**
 * The real `ixgbevf` executable (src/cli/main.ts through tsx) with test/helpers/smoke-hold.mjs preloaded,
 * so that a smoke run waits where the test says ($IXGBEVF_TEST_SMOKE_HOLD) and the test can send signals
 * into it. Output is collected as it comes; `waitFor` synchronises on it. A process still running after
 * `killAfterMs` is SIGKILLed and reported `hung` (a hang fails the test's assertions, not the whole run).
 */
import type { Proc, ProcResult } from './cli-proc.js';
import { spawnCliGuarded } from './cli-proc.js';
import { SMOKE_HOLD_ENV, type SmokeHoldConfig } from './smoke-hold-vf.js';

const preload = new URL('./smoke-hold.mjs', import.meta.url).href;

export interface HeldProc extends Omit<Proc, 'done'> {
  done: Promise<ProcResult & { hung: boolean }>;
}

export function spawnHeldCli(args: string[], hold: SmokeHoldConfig, env: NodeJS.ProcessEnv = {}, killAfterMs = 30_000): HeldProc {
  return spawnCliGuarded(args, { [SMOKE_HOLD_ENV]: JSON.stringify(hold), ...env }, killAfterMs, ['--import', preload]);
}
