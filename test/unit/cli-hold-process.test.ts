/**
 * `--hold` across a PF reset in a real process: SIGINT while the recovery waits for the PF (PF down) ends
 * the command with exit 0, and the process then ends by itself — nothing of the recovery (its fallback
 * timer, the --poll loop, an attempt) keeps the event loop alive. The simulated PF lives in the child, so
 * the child is the CLI's run() with process signals wired as src/cli/main.ts wires them, plus a stdin line
 * protocol (`down`, `up`) that is `ip link set <pf> down|up` on its simulated PF. No timing assertions.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { collectOutput } from '../helpers/cli-proc.js';

const program = fileURLToPath(new URL('../../src/cli/program.ts', import.meta.url));
const openVfTs = fileURLToPath(new URL('../../src/open/open-vf.ts', import.meta.url));

const CHILD = `
  const { run } = await import(${JSON.stringify(program)});
  const { openVf } = await import(${JSON.stringify(openVfTs)});
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  let handle = null;
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => {
    buf += d;
    for (let n; (n = buf.indexOf('\\n')) !== -1; buf = buf.slice(n + 1)) {
      const cmd = buf.slice(0, n);
      if (cmd === 'down') void handle.sim.interfaceDown();
      if (cmd === 'up') void handle.sim.interfaceUp();
    }
  });
  const code = await run(JSON.parse(process.env.ARGV), {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    signal: controller.signal,
    openVf: async (spec, options) => (handle = await openVf(spec, options)),
  });
  process.stdin.pause();
  process.stdin.unref?.();
  process.exitCode = code;
`;

function holdChild(argv: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock', ARGV: JSON.stringify(argv) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return { child, ...collectOutput(child), send: (line: string) => child.stdin.write(`${line}\n`) };
}

for (const poll of [false, true]) {
  test(`set-mac sim --hold${poll ? ' --poll' : ''}: SIGINT while the recovery waits for the PF (PF down) exits 0, and the process ends by itself`, { timeout: 60_000 }, async () => {
    const p = holdChild(['set-mac', 'sim', '02:00:00:00:00:42', '--hold', ...(poll ? ['--poll'] : [])]);
    try {
      await p.waitFor(/^holding sim/m);
      p.send('down');
      await p.waitFor(/could not re-apply set-mac 02:00:00:00:00:42 to sim yet: .*\(ERR_PF_IN_RESET\)/);
    } catch (err) {
      p.child.kill('SIGKILL');
      throw err;
    }
    p.child.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.signal, null, r.stderr);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /^re-applied/m);
    assert.doesNotMatch(r.stderr, /Warning|unsettled|\n\s+at /);
  });
}

test('set-mac sim --hold: PF down/up → re-applied; SIGINT then exits 0', { timeout: 60_000 }, async () => {
  const p = holdChild(['set-mac', 'sim', '02:00:00:00:00:42', '--hold']);
  try {
    await p.waitFor(/^holding sim/m);
    p.send('down');
    await p.waitFor(/could not re-apply/);
    p.send('up');
    await p.waitFor(/^re-applied set-mac 02:00:00:00:00:42 to sim \(API 1\.7\)$/m);
  } catch (err) {
    p.child.kill('SIGKILL');
    throw err;
  }
  p.child.kill('SIGINT');
  const r = await p.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /MAC set to 02:00:00:00:00:42/);
});
