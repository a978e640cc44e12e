/** Runs the CLI in-process with captured output. */
import { run, type CliIo } from '../../src/cli/program.js';
import { testOpenVf } from './cli-sim.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions extends Partial<Omit<CliIo, 'stdout' | 'stderr'>> {
  /** Called with the output so far whenever something is written (for streaming commands). */
  onOutput?: (out: { stdout: string; stderr: string }) => void;
}

/** A socket path where no daemon runs, so VF commands go direct unless a test sets IXGBEVF_SOCKET. */
export const NO_DAEMON = '/nonexistent/ixgbevf-test.sock';

export async function runCli(argv: string[], opts: RunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const { onOutput, ...rest } = opts;
  const io: CliIo = {
    stdout: (s) => {
      stdout += s;
      onOutput?.({ stdout, stderr });
    },
    stderr: (s) => {
      stderr += s;
      onOutput?.({ stdout, stderr });
    },
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: NO_DAEMON },
    signal: new AbortController().signal,
    openVf: testOpenVf,
    ...rest,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
