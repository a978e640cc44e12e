/**
 * The `--json` contract of every command but smoke, probed in-process (run() with captured output): stdout
 * is exactly one JSON document for every success, error and usage error (wherever `--json` stands), an
 * error carries its stable code, a one-line message, the exit code the process returns, and a hint whose
 * `ixgbevf …` commands parse (docs/cli.md, "Errors and exit codes"). The process-level half (a daemon in a
 * child process, closed pipes) is json-probe-process.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { runCli } from '../helpers/cli-run.js';
import { testOpenVf } from '../helpers/cli-sim.js';
import { commandsIn, oneDocument } from '../helpers/json-probe-contract.js';

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

test('an operation the simulated PF\'s API is too old for: the fix is the same command on a spec with that API, and it runs', async () => {
  for (const [args, exit] of [
    [['xcast', 'sim:api=1.1', 'multi'], 6], // the PF's kernel too old (remedy pf-kernel)
    [['xcast', 'sim:api=1.1,pfkernel=6.1', 'multi', '--timeout', '500'], 6],
    [['mtu', 'sim:api=1.0,mtu=9000', '9000'], 2], // a jumbo MTU at API 1.0 (the PF jumbo): bad input whose fix is a command line
    [['mtu', 'sim:mtu=9000,api=1.0,pfkernel=6.1', '9000'], 2],
  ] as const) {
    const doc = await bothPlaces([...args], exit);
    const hint = (doc['error'] as { hint: string }).hint;
    const [fix] = commandsIn(hint);
    assert.ok(fix !== undefined && fix.includes('api='), `${args.join(' ')}: ${hint}`);
    const fixed = await runCli(fix.split(' '));
    assert.equal(fixed.code, 0, `${args.join(' ')}: its fix ixgbevf ${fix} fails: ${fixed.stdout}`);
    assert.deepEqual(Object.keys(JSON.parse(fixed.stdout) as object).slice(0, 2), ['vf', 'via'], 'the fix kept --json');
  }
});

test('an option whose value is missing takes no other option as its value: `--socket --json` is a usage error (exit 2), not a socket named --json', async () => {
  for (const args of [
    ['info', 'sim', '--socket'],
    ['set-mac', 'sim', '02:00:00:00:00:01', '--timeout'],
    ['list', '--socket'],
    ['sim', 'show', '--vf'],
  ]) {
    const doc = await bothPlaces(args, 2); // `… --socket --json` and `--json … --socket`
    assert.equal((doc['error'] as { code: string }).code, 'ERR_USAGE', args.join(' '));
    assert.match((doc['error'] as { message: string }).message, /argument missing/, args.join(' '));
  }
  const text = await runCli(['info', 'sim', '--timeout', '--verbose']);
  assert.equal(text.code, 2, text.stderr);
  assert.match(text.stderr, /^ixgbevf: error: option '--timeout <ms>' argument missing .*\(try: ixgbevf info --help\)$/m);
  // A value given with `=` is the user's own, even one that looks like an option.
  const named = await runCli(['info', 'sim', '--socket=--json', '--json']);
  assert.equal((JSON.parse(named.stdout) as { error: { code: string } }).error.code, 'ERR_DAEMON_UNREACHABLE');
});

test('a bug (an untyped error, exit 1): a one-line message, and a fix for this command (rerun with --verbose), not the daemon\'s "report it with the daemon log"', async () => {
  const boom = (): Promise<never> => Promise.reject(new Error('boom\n  second line'));
  for (const args of [['info', 'sim'], ['set-mac', 'sim', '02:00:00:00:00:01']]) {
    const j = await runCli([...args, '--json'], { openVf: boom });
    const doc = await oneDocument(j, `${args.join(' ')} (bug)`);
    const error = doc['error'] as { code: string; message: string; hint: string };
    assert.equal(j.code, 1);
    assert.equal(error.code, 'ERR_INTERNAL');
    assert.equal(error.message, 'internal error: boom second line');
    assert.deepEqual(commandsIn(error.hint), [`${args.join(' ')} --json --verbose`]);
    assert.doesNotMatch(error.hint, /daemon/);
    const text = await runCli(args, { openVf: boom });
    assert.equal(text.code, 1);
    assert.equal(text.stderr, `ixgbevf: error: internal error: boom second line\n  fix: ixgbevf ${args.join(' ')} --verbose   (prints the stack trace: this is a bug, report it with that)\n`);
    const verbose = await runCli([...args, '--json', '--verbose'], { openVf: boom });
    assert.match(verbose.stderr, /^Error: boom\n {2}second line\n {4}at /, 'the stack on stderr');
    assert.deepEqual(commandsIn((JSON.parse(verbose.stdout) as { error: { hint: string } }).error.hint), ['--version']);
  }
});

test('--hold --json ended by the kernel asking for the VF back: stdout stays the one result document, the error (exit 7) is the stderr line', async () => {
  // The simulated VF never gets a release request by itself: the opener hands its listener to the test.
  let release: (() => void) | null = null;
  const openVf: OpenVfFn = async (spec, options) => {
    const handle = await testOpenVf(spec, options);
    return Object.assign(Object.create(handle) as typeof handle, {
      onReleaseRequested: (listener: () => void) => {
        release = listener;
        return () => undefined;
      },
    });
  };
  let stdoutSoFar = '';
  const asked = setInterval(() => {
    if (release !== null && stdoutSoFar.includes('"mac"')) {
      clearInterval(asked);
      release();
    }
  }, 10);
  const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--hold', '--json'], { openVf, onOutput: (o) => void (stdoutSoFar = o.stdout) });
  clearInterval(asked);
  assert.equal(r.code, 7, r.stderr);
  const doc = JSON.parse(r.stdout) as Record<string, unknown>; // one document, or this throws
  assert.equal(doc['mac'], '02:00:00:00:00:01');
  assert.match(r.stderr, /^ixgbevf: error: the kernel asked for sim back .*\n {2}fix: ixgbevf list\n$/);
});

test('an operation that needs a newer API than the PF agreed to: one fix, for the API it needs (not also "API ≥ 1.1", which fails again)', async () => {
  const doc = await bothPlaces(['xcast', 'sim:api=1.0', 'multi'], 6);
  const hint = (doc['error'] as { hint: string }).hint;
  assert.deepEqual(commandsIn(hint), ['xcast sim:api=1.2 multi --json'], hint);
  assert.doesNotMatch(hint, /1\.1/);
  assert.equal((await runCli(['xcast', 'sim:api=1.2', 'multi'])).code, 0);
});
