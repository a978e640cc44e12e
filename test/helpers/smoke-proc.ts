/**
 * The real `ixgbevf` executable (src/cli/main.ts through tsx) with test/helpers/smoke-hold.mjs preloaded,
 * so that a smoke run waits where the test says ($IXGBEVF_TEST_SMOKE_HOLD) and the test can send signals
 * into it. Output is collected as it comes; `waitFor` synchronises on it. A process still running after
 * `killAfterMs` is SIGKILLed and reported `hung` (a hang fails the test's assertions, not the whole run).
 */
import { spawn } from 'node:child_process';
import type { Proc, ProcResult } from './cli-proc.js';
import { mainTs, repoRoot } from './cli-proc.js';
import { SMOKE_HOLD_ENV, type SmokeHoldConfig } from './smoke-hold-vf.js';

const preload = new URL('./smoke-hold.mjs', import.meta.url).href;

export interface HeldProc extends Omit<Proc, 'done'> {
  done: Promise<ProcResult & { hung: boolean }>;
}

export function spawnHeldCli(args: string[], hold: SmokeHoldConfig, env: NodeJS.ProcessEnv = {}, killAfterMs = 30_000): HeldProc {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, mainTs, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock', [SMOKE_HOLD_ENV]: JSON.stringify(hold), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let ended = false;
  let hung = false;
  const listeners: (() => void)[] = [];
  const poke = (): void => listeners.forEach((l) => l());
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    poke();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    poke();
  });
  const guard = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, killAfterMs);
  const done = new Promise<ProcResult & { hung: boolean }>((resolve) =>
    child.on('close', (code, signal) => {
      ended = true;
      clearTimeout(guard);
      poke();
      resolve({ code, signal, stdout, stderr, hung });
    }),
  );
  const waitFor = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (re.test(stdout + stderr)) resolve();
        else if (ended) reject(new Error(`process ended before ${re}: stdout=${stdout} stderr=${stderr}`));
      };
      listeners.push(check);
      check();
    });
  return { child, done, waitFor };
}
