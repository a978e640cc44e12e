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

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', mainTs, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  return { child, done, waitFor };
}

/**
 * Runs the real executable to its end; one that has not ended after `killAfterMs` is SIGKILLed and
 * reported `hung` (a hang fails the caller's assertion instead of the whole test run; no timing check).
 */
export async function runCliProcess(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs = 30_000): Promise<ProcResult & { hung: boolean }> {
  const p = spawnCli(args, env);
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    p.child.kill('SIGKILL');
  }, killAfterMs);
  const r = await p.done;
  clearTimeout(guard);
  return { ...r, hung };
}
