/** Spawns the real `ixgbevf` executable (src/cli/main.ts through tsx) for behaviour that needs a process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const mainTs = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ProcResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface Proc {
  child: ChildProcess;
  done: Promise<ProcResult>;
  /** Resolves once stdout+stderr so far match `re` (rejects if the process ends first). */
  waitFor(re: RegExp): Promise<void>;
}

/** Collects a child's stdout and stderr as they come: `done` with both, `waitFor` on what came so far. */
export function collectOutput(child: ChildProcess): Omit<Proc, 'child'> {
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  const poke = (): void => listeners.forEach((l) => l());
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    poke();
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    poke();
  });
  let ended = false;
  const done = new Promise<ProcResult>((resolve) =>
    child.on('close', (code, signal) => {
      ended = true;
      poke();
      resolve({ code, signal, stdout, stderr });
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
  return { done, waitFor };
}

/** The real executable (src/cli/main.ts through tsx; `nodeArgs` before it, e.g. a test-only preload). */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, mainTs, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, ...collectOutput(child) };
}

/**
 * spawnCli, with a guard: a process not ended after `killAfterMs` is SIGKILLed and reported `hung` (a hang
 * fails the caller's assertion instead of the whole test run; no timing check).
 */
export function spawnCliGuarded(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs = 30_000, nodeArgs: string[] = []): Omit<Proc, 'done'> & { done: Promise<ProcResult & { hung: boolean }> } {
  const p = spawnCli(args, env, nodeArgs);
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    p.child.kill('SIGKILL');
  }, killAfterMs);
  const done = p.done.then((r) => {
    clearTimeout(guard);
    return { ...r, hung };
  });
  return { ...p, done };
}

/** Runs the real executable to its end (spawnCliGuarded). */
export async function runCliProcess(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs = 30_000): Promise<ProcResult & { hung: boolean }> {
  return spawnCliGuarded(args, env, killAfterMs).done;
}
