/**
 * The real `ixgbevf` process whose stdout / stderr cannot be written (a full disk, /dev/full): a one-line
 * error on stderr and a documented exit code, never an uncaught exception with its stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { mainTs, repoRoot } from '../helpers/cli-proc.js';

const STACK = /\n\s+at |node:internal|Node\.js v\d/;

/** Runs the CLI with stdout and/or stderr redirected to /dev/full (every write: ENOSPC). */
function intoFullDisk(args: string[], redirect: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `exec "${process.execPath}" --import tsx "${mainTs}" "$@" ${redirect}`, 'bash', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: '/nonexistent/ixgbevf.sock' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('stdout on a full disk (> /dev/full): one error line on stderr, exit 3, no stack trace (was: uncaught ENOSPC, exit 1)', { skip: !existsSync('/dev/full') }, () => {
  for (const args of [['info', 'sim'], ['info', 'sim', '--json'], ['set-mac', 'sim', '02:00:00:00:00:01', '--json'], ['--help'], ['completion', 'bash']]) {
    const r = intoFullDisk(args, '>/dev/full');
    assert.equal(r.status, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, STACK, args.join(' '));
    assert.match(r.stderr, /^ixgbevf: error: could not write the output to stdout \(ENOSPC[^\n]*\n {2}fix: df -h\n$/m, args.join(' '));
  }
});

test('a failed command with stdout on a full disk keeps its own exit code (4: PF in reset) and says the output is lost', { skip: !existsSync('/dev/full') }, () => {
  const r = intoFullDisk(['info', 'sim:pf=down', '--json'], '>/dev/full');
  assert.equal(r.status, 4, r.stderr);
  assert.doesNotMatch(r.stderr, STACK);
  assert.match(r.stderr, /could not write the output to stdout \(ENOSPC/);
});

test('stderr on a full disk (2> /dev/full): the exit code is still the command\'s (4 for a PF in reset, 0 for a good one), never 1', { skip: !existsSync('/dev/full') }, () => {
  const bad = intoFullDisk(['info', 'sim:pf=down'], '2>/dev/full');
  assert.equal(bad.status, 4);
  const good = intoFullDisk(['set-mac', 'sim', '02:00:00:00:00:01', '--json'], '2>/dev/full');
  assert.equal(good.status, 0);
  assert.equal((JSON.parse(good.stdout) as { mac: string }).mac, '02:00:00:00:00:01');
  const both = intoFullDisk(['info', 'sim'], '>/dev/full 2>/dev/full');
  assert.equal(both.status, 3);
});
