/**
 * Issue 12 points 8 and 11: one error prefix (commander's own errors too), options only where they mean
 * something and accepted before the command, --json errors with their exit code, the xcast downgrade as
 * a warning on stderr, one MTU range (68..9710) in help and validation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MTU_MAX, MTU_MIN, VLAN_ID_MAX } from '../../src/hw/messages.js';
import { runCli } from '../helpers/cli-run.js';

const noSys = { sysfs: { sysRoot: '/nonexistent-sys' } };

test('every error has the prefix "ixgbevf: error:", commander\'s too (exit 2)', async () => {
  for (const argv of [['info', 'sim', '--bogus'], ['set-mac', 'sim'], ['frobnicate'], ['mtu', 'sim', '20'], ['bind', 'sim']]) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, /^ixgbevf: error: /, argv.join(' '));
  }
});

test('global options before the command (ixgbevf --json list, as ip -j link)', async () => {
  const r = await runCli(['--json', 'list'], noSys);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { daemon: null, pfs: [], problems: [] });
  const v = await runCli(['--json', 'set-mac', 'sim', '02:00:00:00:00:01']);
  assert.equal(v.code, 0);
  assert.equal((JSON.parse(v.stdout) as { mac: string }).mac, '02:00:00:00:00:01');
});

test('options only where they mean something: --timeout/--poll on list or doctor, --json on daemon → exit 2', async () => {
  for (const argv of [['list', '--timeout', '5'], ['--timeout', '5', 'list'], ['doctor', '--poll'], ['--socket', '/x', 'doctor'], ['bind', '0000:01:10.0', '--timeout', '9'], ['daemon', 'sim', '--json'], ['--json', 'daemon', 'sim']]) {
    const r = await runCli(argv, noSys);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    if (argv.includes('--json')) assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_USAGE');
    else assert.match(r.stderr, /^ixgbevf: error: (unknown option|option --\w+ does not apply)/, argv.join(' '));
  }
  for (const [cmd, absent] of [['list', /--timeout|--poll/], ['doctor', /--timeout|--poll|--socket/], ['bind', /--timeout|--poll|--socket/], ['daemon', /--json/]] as const) {
    assert.doesNotMatch((await runCli([cmd, '--help'])).stdout, absent, cmd);
  }
});

test('--json errors carry the exit code (typed errors and usage errors)', async () => {
  const bad = await runCli(['mtu', 'sim', '20', '--json']);
  assert.deepEqual((JSON.parse(bad.stdout) as { error: { exitCode: number } }).error.exitCode, 2);
  const usage = await runCli(['set-mac', 'sim', '--json']);
  assert.equal(usage.code, 2);
  assert.equal((JSON.parse(usage.stdout) as { error: { exitCode: number; code: string } }).error.exitCode, 2);
  const nack = await runCli(['set-mac', 'sim:mac=02:00:00:00:00:aa,trust=off', '02:00:00:00:00:01', '--json']);
  assert.equal(nack.code, 5);
  assert.equal((JSON.parse(nack.stdout) as { error: { exitCode: number } }).error.exitCode, 5);
});

test('xcast: a downgrade (asked allmulti, granted multi) is a warning on stderr, in both output modes', async () => {
  const r = await runCli(['xcast', 'sim:trust=off', 'allmulti']);
  assert.equal(r.code, 0, r.stderr);
  // The fix ends with the command on the changed spec, which runs and gets allmulti.
  assert.match(r.stderr, /^ixgbevf: warning: the PF granted multi, not allmulti: allmulti needs a trusted VF \(add trust=on to the sim spec\): ixgbevf xcast sim:trust=on allmulti$/m);
  assert.doesNotMatch(r.stdout, /granted less|needs a trusted/);
  const j = await runCli(['xcast', 'sim:trust=off', 'allmulti', '--json']);
  assert.equal((JSON.parse(j.stdout) as { granted: string }).granted, 'multi');
  assert.match(j.stderr, /ixgbevf: warning: the PF granted multi/);
  const full = await runCli(['xcast', 'sim:trust=on', 'allmulti']);
  assert.doesNotMatch(full.stderr, /warning/);
});

test('one MTU range everywhere: help says 68–9710, 67 and 9711 are refused, 68 and 9710 pass validation', async () => {
  assert.equal(MTU_MIN, 68);
  assert.equal(MTU_MAX, 9710);
  const help = await runCli(['mtu', '--help']);
  assert.match(help.stdout, /MTU, 68–9710/);
  assert.match((await runCli(['vlan', '--help'])).stdout, new RegExp(`VLAN id, 0–${VLAN_ID_MAX} \\(4095 is reserved\\)`));
  for (const bad of ['67', '9711', '50', '1504000']) {
    const r = await runCli(['mtu', 'sim', bad]);
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /must be from 68 to 9710|from 68 to 9710/, bad);
  }
  assert.equal((await runCli(['mtu', 'sim', '68'])).code, 0);
  assert.equal((await runCli(['vlan', 'sim', 'add', '4095'])).code, 2);
});

test('directly on sim, a fix that changes the spec ends with the same command on the changed spec, and that command runs', async () => {
  const cases: { args: string[]; fix: RegExp }[] = [
    { args: ['set-mac', 'sim:pf=down', '02:00:00:00:00:01'], fix: /fix: drop pf=down from the sim spec: ixgbevf set-mac sim 02:00:00:00:00:01$/m },
    { args: ['set-mac', 'sim:pf=silent,trust=on', '02:00:00:00:00:01', '--timeout', '50'], fix: /fix: drop pf=silent from the sim spec: ixgbevf set-mac sim:trust=on 02:00:00:00:00:01 --timeout 50$/m },
    { args: ['set-mac', 'sim:mac=02:00:00:00:00:aa,trust=off', '02:00:00:00:00:01'], fix: /fix: add trust=on to the sim spec {3}\(or make it the admin MAC: add mac=02:00:00:00:00:01 to the sim spec\): ixgbevf set-mac sim:mac=02:00:00:00:00:aa,trust=on 02:00:00:00:00:01$/m },
    { args: ['mtu', 'sim:mtu=1500', '9000'], fix: /fix: add mtu=9000 to the sim spec \(then retry\), or choose a smaller MTU: ixgbevf mtu sim:mtu=9000 9000$/m },
  ];
  for (const { args, fix } of cases) {
    const r = await runCli(args);
    assert.notEqual(r.code, 0, `${args.join(' ')} fails`);
    assert.match(r.stderr, fix);
    const command = fix.exec(r.stderr)![0].replace(/^.*: (ixgbevf .*)$/, '$1');
    const again = await runCli(command.split(' ').slice(1));
    assert.equal(again.code, 0, `${command}: ${again.stderr}`);
  }
});
