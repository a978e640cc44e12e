/**
 * Issue 12 points 6, 7 and 10 through a running daemon (in-process, owning a sim VF): the same result
 * shape on both paths, field by field; human `info` names the VF and shows the desired state; hints name
 * the daemon's PF and, on sim, `ixgbevf sim …`; `ixgbevf sim pf-reset` and the daemon re-applying the MAC.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { COMMON_FIELDS, MUTATION_FIELDS, OP_FIELDS } from '../../src/cli/results.js';
import { startDaemon, type RunningDaemon } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';

let d: RunningDaemon;
before(async () => {
  d = await startDaemon(['sim']);
});
after(async () => {
  await d.stop();
});

const viaDaemon = (argv: string[]) => runCli(argv, { env: { PATH: process.env.PATH, IXGBEVF_SOCKET: d.socket } });
const direct = (argv: string[]) => runCli(argv);

async function waitReady(): Promise<void> {
  for (;;) {
    const r = await viaDaemon(['info', 'sim', '--json']);
    if (r.code === 0 && (JSON.parse(r.stdout) as { state: string }).state === 'ready') return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

const commands: [string, string[], readonly string[]][] = [
  ['info', ['info', 'sim'], ['vf', 'kind', 'family', 'api', 'pfName', 'vfIndex', 'permanentMac']],
  ['link', ['link', 'sim'], ['vf', 'kind', 'family', 'link', 'adminEnabled']],
  ['set-mac', ['set-mac', 'sim', '02:00:00:00:00:07'], ['vf', 'kind', 'family', 'api', 'pfName', 'vfIndex', 'mac', 'pfReply']],
  ['mtu', ['mtu', 'sim', '1500'], ['vf', 'kind', 'family', 'mtu', 'pfReply']],
  ['vlan', ['vlan', 'sim', 'add', '100'], ['vf', 'kind', 'vlan', 'action', 'pfReply']],
  ['multicast', ['multicast', 'sim', '01:00:5e:00:00:01'], ['vf', 'macs', 'programmed', 'pfReply']],
  ['xcast', ['xcast', 'sim', 'multi'], ['vf', 'requested', 'granted', 'pfReply']],
  ['mailbox', ['mailbox', 'sim'], ['vf', 'kind', 'family']],
];

for (const [op, argv, equalFields] of commands) {
  test(`${op}: one JSON shape through the daemon and directly, field by field`, async () => {
    await waitReady();
    const a = await viaDaemon([...argv, '--json']);
    const b = await direct([...argv, '--json']);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const viaD = JSON.parse(a.stdout) as Record<string, unknown>;
    const viaV = JSON.parse(b.stdout) as Record<string, unknown>;
    const mutates = 'persistent' in viaV;
    const expectedKeys = [...COMMON_FIELDS, ...(OP_FIELDS[op as keyof typeof OP_FIELDS] ?? []), ...(mutates ? MUTATION_FIELDS : [])];
    assert.deepEqual(Object.keys(viaD), expectedKeys, 'daemon path keys');
    assert.deepEqual(Object.keys(viaV), expectedKeys, 'direct path keys');
    for (const f of equalFields) assert.deepEqual(viaD[f], viaV[f], `${op}.${f}`);
    assert.equal(viaD.via, 'daemon');
    assert.equal(viaV.via, 'direct');
    assert.equal(viaD.vf, 'sim');
    if (mutates) {
      assert.equal(viaD.persistent, true);
      assert.equal(viaV.persistent, false);
      assert.equal(viaD.note, null);
      assert.match(String(viaV.note), /reset/);
    }
  });
}

test('info through the daemon: names the VF, shows the desired state and the daemon state', async () => {
  await waitReady();
  assert.equal((await viaDaemon(['set-mac', 'sim', '02:00:00:00:00:09'])).code, 0);
  assert.equal((await viaDaemon(['vlan', 'sim', 'add', '42'])).code, 0);
  const r = await viaDaemon(['info', 'sim']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^VF +sim \(simulated\)$/m);
  assert.doesNotMatch(r.stdout, /undefined/);
  assert.match(r.stdout, /^desired +MAC 02:00:00:00:00:09, .*VLANs [0-9,]*42/m);
  assert.match(r.stdout, /^daemon state +ready/m);
  const j = JSON.parse((await viaDaemon(['info', 'sim', '--json'])).stdout) as { desired: { mac: string } };
  assert.equal(j.desired.mac, '02:00:00:00:00:09');
});

test('ixgbevf sim pf-reset: the daemon re-applies the desired MAC (the README tour)', async () => {
  await waitReady();
  const sock = ['--socket', d.socket];
  assert.equal((await runCli(['set-mac', 'sim', '02:00:00:00:00:42', ...sock])).code, 0);
  const reset = await runCli(['sim', 'pf-reset', ...sock]);
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /simulated: the PF reset/);
  // The daemon recovers on the PF's event; `sim show` is the PF's own view of the VF.
  for (;;) {
    const show = JSON.parse((await runCli(['sim', 'show', '--json', ...sock])).stdout) as { pf: { mac: string | null } };
    const info = JSON.parse((await runCli(['info', 'sim', '--json', ...sock])).stdout) as { state: string; recoveries: number };
    if (show.pf.mac === '02:00:00:00:00:42' && info.state === 'ready' && info.recoveries >= 1) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const info = await runCli(['info', 'sim', ...sock]);
  assert.match(info.stdout, /desired +MAC 02:00:00:00:00:42/);
});

test('ixgbevf sim: trust and admin MAC through the daemon; the NACK hint then names `ixgbevf sim trust-on`', async () => {
  await waitReady();
  const sock = ['--socket', d.socket];
  assert.equal((await runCli(['sim', 'admin-mac', '02:00:00:00:00:aa', ...sock])).code, 0);
  assert.equal((await runCli(['sim', 'trust-off', ...sock])).code, 0);
  for (;;) {
    const info = JSON.parse((await runCli(['info', 'sim', '--json', ...sock])).stdout) as { state: string };
    if (info.state === 'ready') break;
    await new Promise((res) => setTimeout(res, 20));
  }
  const nack = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', ...sock]);
  assert.equal(nack.code, 5, nack.stderr);
  const fix = nack.stderr.split('\n').find((l) => l.includes('fix:')) ?? '';
  assert.match(fix, /ixgbevf sim trust-on --socket /);
  assert.doesNotMatch(fix, /sim-pf0|<pf>|ip link/);
  assert.equal((await runCli(['sim', 'trust-on', ...sock])).code, 0);
  assert.equal((await runCli(['sim', 'admin-mac', 'none', ...sock])).code, 0);
});

test('ixgbevf sim without a daemon: a clear error saying how to start one (exit 3); bad actions exit 2', async () => {
  const r = await runCli(['sim', 'pf-reset']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /no daemon answers at .*: sim actions act on the simulated PF of a sim VF a daemon owns/);
  assert.match(r.stderr, /fix: start one: ixgbevf daemon sim --socket /);
  assert.equal((await runCli(['sim', 'explode', '--socket', d.socket])).code, 2);
  assert.equal((await runCli(['sim', 'admin-mac', '--socket', d.socket])).code, 2);
  const bad = await runCli(['sim', 'admin-mac', '01:00:5e:00:00:01', '--socket', d.socket, '--vf', 'sim', '--json']);
  assert.equal(bad.code, 2);
  // The fix is the same command with a unicast MAC, --vf and --socket kept: it runs.
  const hint = (JSON.parse(bad.stdout) as { error: { hint: string } }).error.hint;
  assert.equal(hint, `ixgbevf sim admin-mac 02:00:00:00:00:aa --vf sim --socket ${d.socket}`);
  assert.equal((await runCli(hint.split(' ').slice(1))).code, 0);
  assert.equal((await runCli(['sim', 'admin-mac', 'none', '--socket', d.socket])).code, 0);
});

test('through the daemon, a sim PF setting as the fix names the daemon: pf-up as an `ixgbevf sim` action, the PF MTU as a restart with the key; follow-ups keep --socket', async () => {
  await waitReady();
  const sock = ['--socket', d.socket];
  // The PF MTU is part of the daemon's VF spec: the fix restarts the daemon with it (a one-shot `sim:mtu=…` would be another VF).
  const mtu = await runCli(['mtu', 'sim', '9000', ...sock]);
  assert.equal(mtu.code, 5, mtu.stderr);
  const mtuFix = mtu.stderr.split('\n').find((l) => l.includes('fix:')) ?? '';
  assert.match(mtuFix, new RegExp(`ixgbevf daemon sim:mtu=9000 --socket ${d.socket.replace(/[.]/g, '\\.')}`), mtuFix);
  assert.doesNotMatch(mtuFix, /add mtu=9000 to the sim spec/);
  // pf-reset's follow-up commands keep the socket.
  const reset = await runCli(['sim', 'pf-reset', ...sock]);
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout + reset.stderr, new RegExp(`ixgbevf watch sim --socket ${d.socket.replace(/[.]/g, '\\.')}`));
  // The PF down: the fix is the daemon's pf-up action, and it works.
  assert.equal((await runCli(['sim', 'pf-down', ...sock])).code, 0);
  let down = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', ...sock]);
  for (let i = 0; i < 100 && down.code === 0; i++) down = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', ...sock]);
  assert.equal(down.code, 4, down.stderr);
  const downFix = down.stderr.split('\n').find((l) => l.includes('fix:')) ?? '';
  assert.match(downFix, /ixgbevf sim pf-up --socket /, downFix);
  assert.doesNotMatch(downFix, /sim:pf=up/);
  assert.equal((await runCli(['sim', 'pf-up', ...sock])).code, 0);
  await waitReady();
});
