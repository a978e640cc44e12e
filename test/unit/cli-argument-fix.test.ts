/**
 * A bad value on the command line gets a fix that is a command: the user's own command line, options
 * kept, with the bad value replaced by a valid example (src/cli/argument-fix.ts). Each fix is run again
 * through the CLI: it parses, and (on the simulated VF, no daemon) it succeeds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
  [['multicast', 'sim', '01:00:5e:00:00:01', '02:00:00:00:00:01'], 'ERR_INVALID_MAC', 'ixgbevf multicast sim 01:00:5e:00:00:01 01:00:5e:00:00:01'],
  [['xcast', '--timeout', '5', 'sim', 'PROMISC'], 'ERR_INVALID_XCAST', 'ixgbevf xcast --timeout 5 sim multi'],
  [['set-mac', 'sim', '02:00:00:00:00:01', '--timeout', 'abc'], 'ERR_INVALID_TIMEOUT', 'ixgbevf set-mac sim 02:00:00:00:00:01 --timeout 1000'],
  [['info', 'sim', '--timeout=0'], 'ERR_INVALID_TIMEOUT', 'ixgbevf info sim --timeout=1000'],
  [['link', 'sim:mtu=x y'], 'ERR_INVALID_VF', 'ixgbevf link sim'],
  // Same value as the VF spec elsewhere on the line: the right word is replaced.
  [['mtu', 'sim', 'sim'], 'ERR_INVALID_MTU', 'ixgbevf mtu sim 1500'],
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

test('a hint that already is a command is kept (a bad PCI address: ixgbevf list)', async () => {
  const r = await runCli(['set-mac', '0000:03:10', '02:00:00:00:00:01', '--json']);
  assert.equal(r.code, 2);
  assert.equal((JSON.parse(r.stdout) as { error: { hint: string } }).error.hint, 'ixgbevf list');
});
