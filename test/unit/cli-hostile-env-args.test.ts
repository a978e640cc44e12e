/**
 * A bad value typed together with a bad or repeated option: the fix is valid as a whole. Commander keeps
 * the last of a repeated option, and a fix for one bad value must not keep another (`mtu sim 99999
 * --timeout=0` used to get `ixgbevf mtu sim 1500 --timeout=0`, which fails again on the timeout). Each
 * fix is run again through the CLI (in-process, the simulated VF, no daemon): it succeeds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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
  // Repeated: the first good, the last (the one commander uses) bad; the fix used to keep the bad one.
  [['info', 'sim', '--timeout', '5', '--timeout', '0'], 'ERR_INVALID_TIMEOUT', 'ixgbevf info sim --timeout 1000 --timeout 1000'],
  [['link', 'sim', '--timeout', '0', '--timeout=abc'], 'ERR_INVALID_TIMEOUT', 'ixgbevf link sim --timeout 1000 --timeout=1000'],
  // A bad positional value and a bad --timeout: both replaced.
  [['mtu', 'sim', '99999', '--timeout=0'], 'ERR_INVALID_MTU', 'ixgbevf mtu sim 1500 --timeout=1000'],
  [['vlan', 'sim', 'add', '5000', '--timeout', '0', '--timeout', '0'], 'ERR_INVALID_VLAN', 'ixgbevf vlan sim add 100 --timeout 1000 --timeout 1000'],
  [['set-mac', 'sim', '02:00:00:00:00:0x', '--timeout=-5'], 'ERR_INVALID_MAC', 'ixgbevf set-mac sim 02:00:00:00:00:01 --timeout=1000'],
  [['--timeout', '0', 'xcast', 'sim', 'PROMISC'], 'ERR_INVALID_XCAST', 'ixgbevf --timeout 1000 xcast sim multi'],
  // A bad sim spec and a bad --timeout (the timeout's error came first and its fix kept the bad spec).
  [['info', 'sim:bogus=1', '--timeout', '0'], 'ERR_INVALID_SIM_SPEC', 'ixgbevf info sim --timeout 1000'],
  [['link', 'sim:mtu=x', '--timeout=0'], 'ERR_INVALID_SIM_SPEC', 'ixgbevf link sim --timeout=1000'],
  [['mailbox', 'sim:api=9', '--timeout', 'x'], 'ERR_INVALID_SIM_SPEC', 'ixgbevf mailbox sim --timeout 1000'],
  // A good --timeout is kept as typed.
  [['mtu', 'sim', '1e3', '--timeout', '250'], 'ERR_INVALID_MTU', 'ixgbevf mtu sim 1500 --timeout 250'],
];

test('a fix replaces every bad value on the line, repeated options and --timeout included; running it succeeds', async () => {
  for (const [argv, code, fix] of cases) {
    const bad = await runCli([...argv, '--json']);
    assert.equal(bad.code, 2, `${argv.join(' ')}: ${bad.stdout}${bad.stderr}`);
    const err = (JSON.parse(bad.stdout) as { error: { code: string; hint: string } }).error;
    assert.equal(err.code, code, argv.join(' '));
    assert.equal(err.hint, `${fix} --json`, argv.join(' '));
    const again = await runCli(words(fix).slice(1));
    assert.equal(again.code, 0, `${fix}: ${again.stderr}`);
  }
});

test('the text form of such a fix is on the one error line, and it runs', async () => {
  const bad = await runCli(['mtu', 'sim', '99999', '--timeout=0']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'ixgbevf: error: invalid MTU 99999: must be from 68 to 9710 (try: ixgbevf mtu sim 1500 --timeout=1000)\n');
});

test('shellWord: a word with control characters is $\'…\'-quoted on one line, and bash reads every form back', () => {
  for (const w of ['plain', 'a b', "it's", 'new\nline', 'esc\u001b[31m', "both'\n\\", '']) {
    const quoted = shellWord(w);
    assert.doesNotMatch(quoted, /[\u0000-\u001f\u007f]/, JSON.stringify(w));
    const back = spawnSync('bash', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' });
    assert.equal(back.stdout, w, quoted);
  }
});
