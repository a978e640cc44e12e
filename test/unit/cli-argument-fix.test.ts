/**
 * A bad value on the command line gets a fix that is a command: the user's own command line, options
 * kept, with the bad value replaced by a valid example (src/cli/argument-fix.ts). Each fix is run again
 * through the CLI: it parses, and (on the simulated VF, no daemon) it succeeds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { shellWord } from '../../src/shell-word.js';
import { runCli } from '../helpers/cli-run.js';

/** A shell line split back into words (single quotes as shellWord writes them). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return out;
}

const cases: [argv: string[], code: string, fix: string][] = [
  [['set-mac', 'sim', '01:00:00:00:00:01'], 'ERR_INVALID_MAC', 'ixgbevf set-mac sim 02:00:00:00:00:01'],
  [['set-mac', 'sim', 'zz', '--poll', '--timeout', '200'], 'ERR_INVALID_MAC', 'ixgbevf set-mac sim 02:00:00:00:00:01 --poll --timeout 200'],
  [['--poll', 'mtu', 'sim:mtu=1500', '1e3'], 'ERR_INVALID_MTU', 'ixgbevf --poll mtu sim:mtu=1500 1500'],
  [['vlan', 'sim', 'add', '4095'], 'ERR_INVALID_VLAN', 'ixgbevf vlan sim add 100'],
  [['vlan', 'sim', 'up', '5'], 'ERR_INVALID_ARGUMENT', 'ixgbevf vlan sim add 5'],
  // A mistyped delete keeps its meaning (it used to become `add`, the opposite).
  [['vlan', 'sim', 'remove', '5'], 'ERR_INVALID_ARGUMENT', 'ixgbevf vlan sim del 5'],
  [['vlan', 'sim', 'DEL', '5'], 'ERR_INVALID_ARGUMENT', 'ixgbevf vlan sim del 5'],
  [['vlan', 'sim', 'rm', '5'], 'ERR_INVALID_ARGUMENT', 'ixgbevf vlan sim del 5'],
  [['multicast', 'sim', '01:00:5e:00:00:01', '02:00:00:00:00:01'], 'ERR_INVALID_MAC', 'ixgbevf multicast sim 01:00:5e:00:00:01 01:00:5e:00:00:01'],
  [['xcast', '--timeout', '5', 'sim', 'PROMISC'], 'ERR_INVALID_XCAST', 'ixgbevf xcast --timeout 5 sim multi'],
  [['set-mac', 'sim', '02:00:00:00:00:01', '--timeout', 'abc'], 'ERR_INVALID_TIMEOUT', 'ixgbevf set-mac sim 02:00:00:00:00:01 --timeout 1000'],
  [['info', 'sim', '--timeout=0'], 'ERR_INVALID_TIMEOUT', 'ixgbevf info sim --timeout=1000'],
  [['link', 'sim:mtu=x y'], 'ERR_INVALID_VF', 'ixgbevf link sim'],
  // Same value as the VF spec elsewhere on the line: the right word is replaced.
  [['mtu', 'sim', 'sim'], 'ERR_INVALID_MTU', 'ixgbevf mtu sim 1500'],
  // Arguments in the wrong order: the fix puts the user's own words where they belong (it used to be
  // `vlan sim add add`, which fails again).
  [['vlan', 'sim', '100', 'add'], 'ERR_INVALID_ARGUMENT', 'ixgbevf vlan sim add 100'],
  [['vlan', '100', 'add', 'sim'], 'ERR_INVALID_VF', 'ixgbevf vlan sim add 100'],
  [['set-mac', '02:00:00:00:00:01', 'sim'], 'ERR_INVALID_VF', 'ixgbevf set-mac sim 02:00:00:00:00:01'],
  [['mtu', '1500', 'sim', '--poll'], 'ERR_INVALID_VF', 'ixgbevf mtu sim 1500 --poll'],
  [['xcast', 'multi', 'sim:trust=on'], 'ERR_INVALID_VF', 'ixgbevf xcast sim:trust=on multi'],
  [['multicast', '01:00:5e:00:00:01', 'sim'], 'ERR_INVALID_VF', 'ixgbevf multicast sim 01:00:5e:00:00:01'],
  // Two bad values: both replaced, so the fix is valid as a whole (it used to keep `bar`).
  [['vlan', 'sim', 'foo', 'bar'], 'ERR_INVALID_ARGUMENT', 'ixgbevf vlan sim add 100'],
  [['vlan', 'sim', 'add', 'add'], 'ERR_INVALID_VLAN', 'ixgbevf vlan sim add 100'],
  // A negative number is an argument to commander, so it is the word the fix replaces.
  [['set-mac', 'sim', '-1'], 'ERR_INVALID_MAC', 'ixgbevf set-mac sim 02:00:00:00:00:01'],
  [['vlan', 'sim', 'add', '-5'], 'ERR_INVALID_VLAN', 'ixgbevf vlan sim add 100'],
  // A sim spec with a bad key or value is refused before the open, with a command as its fix (it was
  // "valid keys: …", and `smoke` ran every check to report it as a failed env.open).
  [['info', 'sim:mtu=x'], 'ERR_INVALID_SIM_SPEC', 'ixgbevf info sim'],
  [['set-mac', 'sim:bogus=1', '02:00:00:00:00:01'], 'ERR_INVALID_SIM_SPEC', 'ixgbevf set-mac sim 02:00:00:00:00:01'],
  [['set-mac', 'sim:mtu=x', 'sim'], 'ERR_INVALID_SIM_SPEC', 'ixgbevf set-mac sim 02:00:00:00:00:01'],
  [['smoke', 'sim:mtu=x'], 'ERR_INVALID_SIM_SPEC', 'ixgbevf smoke sim'],
];

test('a bad value\'s hint is the same command line with a valid value in its place; running it succeeds', async () => {
  for (const [argv, code, fix] of cases) {
    const bad = await runCli(argv);
    assert.equal(bad.code, 2, `${argv.join(' ')}: ${bad.stderr}`);
    assert.ok(bad.stderr.endsWith(`(try: ${fix})\n`), `${argv.join(' ')}: ${bad.stderr}`);
    const json = await runCli([...argv, '--json']);
    const doc = JSON.parse(json.stdout) as { error: { code: string; hint: string } };
    assert.equal(doc.error.code, code, argv.join(' '));
    assert.equal(doc.error.hint, `${fix} --json`, argv.join(' '));
    const again = await runCli(words(fix).slice(1));
    assert.equal(again.code, 0, `the fix ${fix} runs: ${again.stderr}`);
  }
});

test('the fix keeps --socket (and every other option) and quotes a word the shell would split', async () => {
  const r = await runCli(['mtu', 'sim', '1e3', '--socket', '/tmp/a b.sock']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /\(try: ixgbevf mtu sim 1500 --socket '\/tmp\/a b\.sock'\)\n$/);
  assert.equal(shellWord("it's"), "'it'\\''s'");
  assert.deepEqual(words(shellWord("it's a")), ["it's a"]);
  assert.equal(shellWord('0000:03:10.0'), '0000:03:10.0');
});

test('daemon: a bad sim spec among its VFs is exit 2 before anything starts, the fix is the same command with sim in its place', async () => {
  const r = await runCli(['daemon', 'sim', 'sim:mtu=x', '--socket', '/nonexistent/d.sock']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'ixgbevf: error: sim spec: mtu=x is not a number (try: ixgbevf daemon sim sim --socket /nonexistent/d.sock)\n');
});

test('smoke checks its VF before its options, as the VF commands do: a bad VF and a bad --timeout give the VF\'s error', async () => {
  const r = await runCli(['smoke', 'zz', '--timeout', 'abc', '--json']);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout) as { error: { code: string; hint: string } };
  assert.deepEqual([doc.error.code, doc.error.hint], ['ERR_INVALID_VF', 'ixgbevf list']);
});

test('a hint that already is a command is kept (a bad PCI address: ixgbevf list)', async () => {
  const r = await runCli(['set-mac', '0000:03:10', '02:00:00:00:00:01', '--json']);
  assert.equal(r.code, 2);
  assert.equal((JSON.parse(r.stdout) as { error: { hint: string } }).error.hint, 'ixgbevf list');
});

/** Each command with positional arguments: valid words (the VF first), and words valid nowhere. */
const VALID: Record<string, string[]> = {
  'set-mac': ['sim', '02:00:00:00:00:01'],
  mtu: ['sim', '1500'],
  vlan: ['sim', 'del', '7'],
  xcast: ['sim', 'allmulti'],
  multicast: ['sim', '01:00:5e:00:00:01', '33:33:00:00:00:01'],
};
const GARBAGE = ['zz', '-1', '4095', '1e3', 'sim:mtu=x', '0000:03:10', 'ADD', '01:00:00:00:00:01', ''];

test('property: for any order of a command\'s arguments, some possibly replaced by garbage, a usage error\'s fix is a command whose arguments are all valid', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...Object.keys(VALID)),
      fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      fc.array(fc.option(fc.constantFrom(...GARBAGE), { nil: undefined, freq: 3 }), { minLength: 3, maxLength: 3 }),
      async (command, order, garbage) => {
        const args = [...VALID[command]!];
        for (let i = args.length - 1; i > 0; i--) {
          const j = order[i % order.length]! % (i + 1);
          [args[i], args[j]] = [args[j]!, args[i]!];
        }
        const argv = [command, ...args.map((w, i) => garbage[i] ?? w)];
        const r = await runCli(argv);
        assert.notEqual(r.code, 1, `${argv.join(' ')}: no internal error: ${r.stderr}`);
        if (r.code !== 2) return; // done, or refused by the PF (exit 5)
        const fix = /\(try: (ixgbevf .*)\)\n$/.exec(r.stderr)?.[1];
        assert.ok(fix !== undefined, `${argv.join(' ')}: a fix: ${r.stderr}`);
        if (fix === 'ixgbevf list') return; // a malformed PCI address: the fix lists the real ones
        // The fix's words are all valid: no usage error, no crash (the PF may still refuse a value, e.g.
        // a jumbo MTU the user typed, which is exit 5 with its own fix).
        const again = await runCli(words(fix).slice(1));
        assert.ok(again.code !== 2 && again.code !== 1, `${argv.join(' ')} → ${fix}: exit ${again.code} ${again.stderr}`);
      },
    ),
    { numRuns: 150 },
  );
});
