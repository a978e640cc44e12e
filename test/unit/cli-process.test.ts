/**
 * Behaviour that only a real process has (issue 12 points 3, 4, 11): commands that wait for Ctrl-C stay
 * alive and exit 0 on SIGTERM; output into a closed pipe ends quietly; no command → help on stderr, exit 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { mainTs, repoRoot, spawnCli } from '../helpers/cli-proc.js';

const waiting: [string[], RegExp][] = [
  [['watch', 'sim'], /watching sim/],
  [['watch', 'sim', '--json'], /"type":"watching"/],
  [['set-mac', 'sim', '02:00:00:00:00:01', '--hold'], /holding sim/],
  [['set-mac', 'sim', '02:00:00:00:00:01', '--hold', '--poll'], /holding sim/],
  [['watch', 'sim', '--poll'], /watching sim/],
];

for (const [args, ready] of waiting) {
  test(`${args.join(' ')} runs until SIGTERM, then exits 0`, async () => {
    const p = spawnCli(args);
    try {
      await p.waitFor(ready);
    } catch (err) {
      p.child.kill('SIGKILL');
      throw err;
    }
    // Still running a moment later (the old bin exited 13 here: an unsettled top-level await).
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(p.child.exitCode, null, 'still running');
    p.child.kill('SIGTERM');
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Warning|unsettled|\n\s+at /);
  });
}

function intoClosedPipe(args: string[]): { status: number; stderr: string } {
  // `| true` closes the read end at once; node starts far later, so every write meets EPIPE.
  const cmd = `"${process.execPath}" --import tsx "${mainTs}" ${args.join(' ')} 2>"$ERRFILE" | true; echo "\${PIPESTATUS[0]}"; cat "$ERRFILE"`;
  const r = spawnSync('bash', ['-c', cmd], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock', ERRFILE: `/tmp/ixgbevf-epipe-${process.pid}-${args[0]}` },
    encoding: 'utf8',
  });
  const [status, ...err] = r.stdout.split('\n');
  return { status: Number(status), stderr: err.join('\n') };
}

test('output into a closed pipe ends quietly: --help | true, info sim | true', () => {
  for (const args of [['--help'], ['info', 'sim', '--json'], ['list', '--json']]) {
    const r = intoClosedPipe(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|\n\s+at /, args.join(' '));
  }
});

test('no command: help on stderr, exit 2; --help: help on stdout, exit 0', async () => {
  const none = await spawnCli([]).done;
  assert.equal(none.code, 2);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /Usage: ixgbevf/);
  const help = await spawnCli(['--help']).done;
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: ixgbevf/);
  assert.equal(help.stderr, '');
});
