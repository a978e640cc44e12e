/** Every VF command against `sim`, in-process: human and --json output, exit codes, error hints. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

test('README quick start: set-mac sim prints the PF answer and the release note', async () => {
  const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /MAC set to 02:00:00:00:00:01/);
  assert.match(r.stdout, /PF answered: SET_MAC_ADDR ACK\|CTS \(0xa0000002\)/);
  assert.match(r.stderr, /no daemon owns this VF/);
  assert.match(r.stderr, /on hardware the VF would be reset when this command exits/);
  assert.match(r.stderr, /ixgbevf daemon sim/);
});

test('set-mac --json: one document with the reply word and persistent:false', async () => {
  const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--json']);
  assert.equal(r.code, 0);
  const doc = json(r.stdout);
  assert.equal(doc.mac, '02:00:00:00:00:01');
  assert.equal(doc.pfReply, '0xa0000002');
  assert.equal(doc.via, 'direct');
  assert.equal(doc.persistent, false);
  assert.match(String(doc.note), /reset/);
  assert.equal(r.stderr, '', 'nothing on stderr in --json mode');
});

test('NACK: admin MAC with trust off → exit 5, names the admin MAC, prints the trust command', async () => {
  const spec = 'sim:mac=02:00:00:00:00:aa,trust=off';
  const r = await runCli(['set-mac', spec, '02:00:00:00:00:01']);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /refused MAC 02:00:00:00:00:01/);
  assert.match(r.stderr, /administrator set MAC 02:00:00:00:00:aa/);
  // On sim there is no PF interface: the fix is a sim spec key, never `ip link set sim-pf0 …` (issue 12.7).
  assert.match(r.stderr, /fix: add trust=on to the sim spec/);
  assert.match(r.stderr, /add mac=02:00:00:00:00:01 to the sim spec/);
  assert.doesNotMatch(r.stderr.split('\n').find((l) => l.includes('fix:')) ?? '', /sim-pf0|ip link/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  const j = await runCli(['set-mac', spec, '02:00:00:00:00:01', '--json']);
  assert.equal(j.code, 5);
  const err = json(j.stdout).error as Record<string, string>;
  assert.equal(err.code, 'ERR_PF_NACK');
  assert.match(err.hint!, /trust=on/);
  // The admin MAC itself is accepted, and trust on lets the VF choose.
  assert.equal((await runCli(['set-mac', spec, '02:00:00:00:00:aa'])).code, 0);
  assert.equal((await runCli(['set-mac', 'sim:mac=02:00:00:00:00:aa,trust=on', '02:00:00:00:00:01'])).code, 0);
});

test('PF down: the reset is stuck → exit 4 with `ip link set <pf> up`', async () => {
  const r = await runCli(['info', 'sim:pf=down', '--timeout', '200']);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /in reset/);
  assert.match(r.stderr, /fix: drop pf=down from the sim spec/);
  const j = await runCli(['set-mac', 'sim:pf=down', '02:00:00:00:00:01', '--json']);
  assert.equal(j.code, 4);
  assert.equal((json(j.stdout).error as { code: string }).code, 'ERR_PF_IN_RESET');
});

test('a PF that never answers (sim:pf=silent): every VF command ends with ERR_MBX_TIMEOUT, exit 4, cause and fix naming the key', async () => {
  const spec = 'sim:pf=silent';
  const commands = [['info', spec], ['set-mac', spec, '02:00:00:00:00:01'], ['mtu', spec, '1500'], ['vlan', spec, 'add', '5'], ['multicast', spec, '01:00:5e:00:00:01'], ['xcast', spec, 'multi'], ['link', spec]];
  for (const argv of commands) {
    const r = await runCli([...argv, '--timeout', '50']);
    assert.equal(r.code, 4, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^ixgbevf: error: the PF did not answer within 50 ms .*: the simulated PF was started with pf=silent and never answers$/m, argv.join(' '));
    // The fix ends with the same command on the spec without the key (every other word kept).
    const again = ['ixgbevf', ...argv.map((a) => (a === spec ? 'sim' : a)), '--timeout', '50'].join(' ');
    assert.equal(r.stderr.split('\n').find((l) => l.startsWith('  fix: ')), `  fix: drop pf=silent from the sim spec: ${again}`, argv.join(' '));
    const j = await runCli([...argv, '--timeout', '50', '--json']);
    assert.equal(j.code, 4);
    const err = json(j.stdout).error as { code: string; hint: string; exitCode: number };
    assert.deepEqual([err.code, err.hint, err.exitCode], ['ERR_MBX_TIMEOUT', `drop pf=silent from the sim spec: ${again} --json`, 4], argv.join(' '));
  }
  // The fix works: the same commands without the key succeed.
  for (const argv of commands) assert.equal((await runCli(argv.map((a) => (a === spec ? 'sim' : a)))).code, 0, argv.join(' '));
});

test('a silent PF behind a daemon: the fix restarts the daemon without pf=silent (no `ixgbevf sim` action wakes it)', async () => {
  const spec = 'sim:pf=silent,trust=on';
  const d = await startDaemon([spec, '--timeout', '50']);
  try {
    const r = await runCli(['set-mac', spec, '02:00:00:00:00:01', '--socket', d.socket]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /pf=silent and never answers/);
    const fix = /^ {2}fix: stop the daemon, then start it without pf=silent: (ixgbevf daemon .*)$/m.exec(r.stderr);
    assert.ok(fix !== null, r.stderr);
    assert.equal(fix[1], `ixgbevf daemon sim:trust=on --socket ${d.socket}`);
    const parsed = await runCli(fix[1]!.split(' ').slice(1), { parseOnly: true });
    assert.equal(parsed.code, 0, parsed.stderr);
  } finally {
    await d.stop();
  }
});

test('a multicast list over 256: exit 2, and the way to every group is the xcast command, not a library call', async () => {
  const groups = Array.from({ length: 257 }, (_, i) => `01:00:5e:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`);
  const r = await runCli(['multicast', 'sim', ...groups]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /ixgbevf xcast sim allmulti/);
  assert.doesNotMatch(r.stderr, /setXcastMode/);
  const j = await runCli(['multicast', 'sim', ...groups, '--json']);
  assert.match((json(j.stdout).error as { hint: string }).hint, /ixgbevf xcast sim allmulti/);
});

test('old PF (api=1.1): info shows 1.1; xcast needs 1.2 → exit 6', async () => {
  const info = await runCli(['info', 'sim:api=1.1', '--json']);
  assert.equal(info.code, 0);
  const doc = json(info.stdout);
  assert.equal(doc.api, '1.1');
  assert.ok(doc.queues !== null);
  const human = await runCli(['info', 'sim:api=1.1']);
  assert.match(human.stdout, /API\s+1\.1/);
  assert.match(human.stdout, /permanent MAC/);
  const x = await runCli(['xcast', 'sim:api=1.1', 'allmulti']);
  assert.equal(x.code, 6);
  assert.match(x.stderr, /1\.2/);
});

test('info: permanent MAC from the admin MAC, counters', async () => {
  const r = await runCli(['info', 'sim:mac=02:00:00:00:00:bb', '--json']);
  assert.equal(r.code, 0);
  const doc = json(r.stdout);
  assert.equal(doc.permanentMac, '02:00:00:00:00:bb');
  assert.equal(typeof (doc.counters as Record<string, number>).msgsTx, 'number');
});

test('mtu, vlan, multicast, xcast, link on sim', async () => {
  const mtu = await runCli(['mtu', 'sim', '1500', '--json']);
  assert.equal(mtu.code, 0, mtu.stdout);
  assert.equal(json(mtu.stdout).mtu, 1500);
  const jumbo = await runCli(['mtu', 'sim', '9000']);
  assert.equal(jumbo.code, 5, 'a 1500-MTU PF refuses a jumbo VF');
  assert.match(jumbo.stderr, /add mtu=9000 to the sim spec/);
  assert.doesNotMatch(jumbo.stderr, /sim-pf0/);
  assert.equal((await runCli(['mtu', 'sim:mtu=9000', '9000'])).code, 0);
  const vlan = await runCli(['vlan', 'sim', 'add', '100']);
  assert.equal(vlan.code, 0);
  assert.match(vlan.stdout, /VLAN 100 added/);
  assert.match(vlan.stdout, /SET_VLAN ACK/);
  const portVlan = await runCli(['vlan', 'sim:vlan=5', 'add', '100']);
  assert.equal(portVlan.code, 5);
  assert.match(portVlan.stderr, /port VLAN/);
  const mc = await runCli(['multicast', 'sim', '01:00:5e:00:00:01', '33:33:00:00:00:01', '--json']);
  assert.equal(mc.code, 0);
  assert.equal(json(mc.stdout).programmed, 2);
  const x = await runCli(['xcast', 'sim', 'allmulti']);
  assert.equal(x.code, 0);
  assert.match(x.stdout, /xcast mode/);
  const link = await runCli(['link', 'sim', '--json']);
  assert.equal(link.code, 0);
  assert.equal((json(link.stdout).link as { up: boolean }).up, true);
  assert.match((await runCli(['link', 'sim'])).stdout, /link up/);
});

test('mailbox --dump prints the register, its bits and 16 words', async () => {
  const r = await runCli(['mailbox', 'sim', '--dump']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /mailbox register 0x000002fc = 0x[0-9a-f]{8}/);
  assert.equal((r.stdout.match(/word +\d+/g) ?? []).length, 16);
  const j = await runCli(['mailbox', 'sim', '--json']);
  assert.equal((json(j.stdout).words as string[]).length, 16);
});

test('--verbose traces mailbox words', async () => {
  const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--verbose']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /mbx VF→PF SET_MAC_ADDR/);
  assert.match(r.stderr, /mbx PF→VF SET_MAC_ADDR ACK\|CTS/);
});

test('--hold keeps the VF until Ctrl-C', async () => {
  const controller = new AbortController();
  let holding = false;
  const done = runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--hold'], {
    signal: controller.signal,
    onOutput: ({ stderr }) => {
      if (!holding && /holding sim/.test(stderr)) {
        holding = true;
        controller.abort();
      }
    },
  });
  const r = await done;
  assert.equal(holding, true);
  assert.equal(r.code, 0);
});

test('watch (direct) streams PF events and stops on Ctrl-C', async () => {
  const controller = new AbortController();
  const { opened } = await import('../helpers/cli-sim.js');
  const before = opened.length;
  let sent = false;
  const r = await runCli(['watch', 'sim'], {
    signal: controller.signal,
    onOutput: ({ stdout, stderr }) => {
      if (!sent && /watching sim/.test(stderr)) {
        sent = true;
        const sim = opened[before]!.sim!;
        void (async () => {
          await sim.interfaceDown();
          await sim.interfaceUp();
        })();
      }
      if (/ sim recovered/.test(stdout)) controller.abort();
    },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, / sim (pf-reset|pf-message)/);
  assert.match(r.stdout, / sim recovered api=1\.7/);
});

test('bad input exits 2 with a one-line message', async () => {
  const cases: [string[], RegExp][] = [
    [['set-mac', 'sim', '02:00:00:00:00'], /invalid MAC address/],
    [['set-mac', 'sim', '01:00:5e:00:00:01'], /multicast/],
    [['vlan', 'sim', 'add', '4096'], /VLAN id 4096/],
    [['vlan', 'sim', 'toggle', '5'], /add or del/],
    [['mtu', 'sim', '20'], /MTU 20/],
    [['mtu', 'sim', '1500.5'], /MTU/],
    [['set-mac', 'zz:zz', '02:00:00:00:00:01'], /invalid VF "zz:zz"/],
    [['info', 'sim:bogus=1'], /unknown key/],
    [['xcast', 'sim', 'loud'], /xcast mode/],
    [['multicast', 'sim', '02:00:00:00:00:01'], /not a multicast address/],
    [['info', 'sim', '--timeout', 'soon'], /timeout/],
    [['set-mac', 'sim'], /missing required argument/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [argv, re] of cases) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, argv.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${argv.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
  const j = await runCli(['mtu', 'sim', '20', '--json']);
  assert.equal(j.code, 2);
  assert.equal((json(j.stdout).error as { code: string }).code, 'ERR_INVALID_MTU');
});

test('help has examples for every command', async () => {
  for (const cmd of ['list', 'doctor', 'bind', 'unbind', 'info', 'set-mac', 'mtu', 'vlan', 'multicast', 'xcast', 'link', 'watch', 'mailbox', 'daemon', 'sim']) {
    const r = await runCli([cmd, '--help']);
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, /Examples:\n {2}\$ (sudo )?ixgbevf /, cmd);
    assert.match(r.stdout, /--verbose/, cmd);
  }
  const top = await runCli(['--help']);
  assert.match(top.stdout, /set-mac sim 02:00:00:00:00:01/);
});

test('--version and --help with --json: one JSON document on stdout (the version; the command and its help text), exit 0; without --json plain text', async () => {
  for (const argv of [['--version', '--json'], ['--json', '-V']]) {
    const r = await runCli(argv);
    assert.equal(r.code, 0, argv.join(' '));
    assert.deepEqual(JSON.parse(r.stdout), { version: '0.1.0' });
    assert.equal(r.stdout.split('\n').filter(Boolean).length, 1);
  }
  const cases: [string[], string][] = [[['--help', '--json'], 'ixgbevf'], [['help', '--json'], 'ixgbevf'], [['--json', 'help'], 'ixgbevf'], [['help', 'mtu', '--json'], 'ixgbevf mtu'], [['set-mac', '--help', '--json'], 'ixgbevf set-mac'], [['--json', 'help', 'daemon'], 'ixgbevf daemon'], [['--socket', '/x.sock', 'vlan', 'sim', '--json', '-h'], 'ixgbevf vlan']];
  for (const [argv, command] of cases) {
    const r = await runCli(argv);
    assert.equal(r.code, 0, argv.join(' '));
    const doc = JSON.parse(r.stdout) as { command: string; help: string };
    assert.equal(doc.command, command, argv.join(' '));
    assert.match(doc.help, new RegExp(`^Usage: ${command} `));
    assert.match(doc.help, /Examples:/);
  }
  for (const argv of [['help', 'bogus', '--json'], ['--json']]) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'ERR_USAGE');
    assert.equal(r.stderr, '', `${argv.join(' ')}: nothing but the JSON document`);
  }
  assert.equal((await runCli(['--version'])).stdout, '0.1.0\n');
  assert.match((await runCli(['set-mac', '--help'])).stdout, /^Usage: ixgbevf set-mac /);
});

test('a bug (non-typed error) exits 1 without a stack unless --verbose', async () => {
  const boom = async (): Promise<never> => {
    throw new TypeError('boom');
  };
  const r = await runCli(['info', 'sim'], { openVf: boom });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /internal error: boom/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const v = await runCli(['info', 'sim', '--verbose'], { openVf: boom });
  assert.equal(v.code, 1);
  assert.match(v.stderr, /\n\s+at /);
});

test('usage errors are one line with the fix, and a JSON error document with --json (no command, help for an unknown one, unknown options with a suggestion, missing or extra arguments)', async () => {
  // Inside a command the fix is that command's help (its usage line and examples); elsewhere the program's.
  const cases: [string[], string][] = [
    [['info', 'sim', '--no-json'], 'ixgbevf info --help'],
    [['info', 'sim', '--bogus'], 'ixgbevf info --help'],
    [['vlan', 'sim', 'del'], 'ixgbevf vlan --help'],
    [['link', 'sim', 'extra'], 'ixgbevf link --help'],
    [['set-mac', 'sim'], 'ixgbevf set-mac --help'],
    [['bogus'], 'ixgbevf --help'],
    [[], 'ixgbevf --help'],
    [['help', 'bogus'], 'ixgbevf --help'],
    [['--bogus'], 'ixgbevf --help'],
  ];
  for (const [argv, fix] of cases) {
    const r = await runCli(argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ixgbevf: error: '));
    assert.equal(errors.length, 1, `${argv.join(' ')}: one error line: ${r.stderr.slice(-400)}`);
    assert.ok(errors[0]!.endsWith(`(try: ${fix})`), `${argv.join(' ')}: ${errors[0]}`);
    assert.doesNotMatch(r.stderr, /^\(Did you mean/m, 'the suggestion is on the error line');
    const j = await runCli([...argv, '--json']);
    assert.equal(j.code, 2);
    const doc = JSON.parse(j.stdout) as { error: { code: string; exitCode: number; hint: string } };
    assert.equal(doc.error.exitCode, 2, `${argv.join(' ')} --json: ${j.stdout}`);
    assert.equal(doc.error.hint, fix, `${argv.join(' ')} --json: ${j.stdout}`);
    const help = await runCli(fix.split(' ').slice(1));
    assert.equal(help.code, 0, `the fix ${fix} runs`);
    assert.match(help.stdout, /^Usage: ixgbevf/);
  }
});

test('sim --vf: a malformed sim spec or a VF that is not simulated is bad input (exit 2), before any daemon is asked', async () => {
  for (const vf of ['sim:x=1', '0000:01:10.0']) {
    const r = await runCli(['sim', 'trust-on', '--vf', vf, '--socket', '/nonexistent/x.sock', '--json']);
    assert.equal(r.code, 2, `${vf}: ${r.stdout}`);
  }
});
