/**
 * The `--json` contract of every command but smoke, probed in-process (run() with captured output): stdout
 * is exactly one JSON document for every success, error and usage error (wherever `--json` stands), an
 * error carries its stable code, a one-line message, the exit code the process returns, and a hint whose
 * `ixgbevf …` commands parse (docs/cli.md, "Errors and exit codes"). The process-level half (a daemon in a
 * child process, closed pipes) is json-probe-process.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { oneDocument } from '../helpers/json-probe-contract.js';

/** `args` with `--json` after and before the command: both give the same document and exit code. */
async function bothPlaces(args: string[], exit: number): Promise<Record<string, unknown>> {
  const after = await runCli([...args, '--json']);
  const before = await runCli(['--json', ...args]);
  const a = await oneDocument(after, `${args.join(' ')} --json`);
  const b = await oneDocument(before, `--json ${args.join(' ')}`);
  assert.equal(after.code, exit, `${args.join(' ')} --json: exit ${after.code}, stdout ${after.stdout}`);
  assert.equal(before.code, exit, `--json ${args.join(' ')}: exit ${before.code}`);
  assert.deepEqual(Object.keys(b), Object.keys(a), `${args.join(' ')}: the same shape with --json before the command`);
  assert.equal(after.stderr, '', `${args.join(' ')} --json: nothing on stderr here (${after.stderr})`);
  return a;
}

test('usage errors from commander (unknown option with a suggestion) are one-line messages in the JSON document', async () => {
  for (const args of [
    ['info', 'sim', '--jsn'],
    ['info', 'sim', '--hold'],
    ['vlan', 'sim', 'add', '1', '--tmeout', '5'],
  ]) {
    const doc = await bothPlaces(args, 2);
    const error = doc['error'] as { code: string; message: string };
    assert.equal(error.code, 'ERR_USAGE');
    assert.match(error.message, /unknown option .*\(Did you mean/, 'the suggestion is kept, on the same line');
  }
});
