/**
 * The `--json` contract through a running daemon: the real `ixgbevf daemon sim sim:api=1.1 --socket <tmp>`
 * in a child process (ended by its pid), the commands run in-process against its socket. Every result and
 * error is one JSON document with a hint whose commands parse; `ixgbevf sim`'s fixes keep the socket the
 * user named (a fix without it would talk to another daemon, or to none).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonChild } from '../helpers/daemon-child.js';
import { runCli } from '../helpers/cli-run.js';
import { commandsIn, oneDocument } from '../helpers/json-probe-contract.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ixgbevf-json-probe-'));
const sock = path.join(dir, 'd.sock');
let daemon: DaemonChild;

before(async () => {
  daemon = new DaemonChild(['sim', 'sim:api=1.1', '--socket', sock]);
  await daemon.waitLog((l) => l.event === 'started');
});

after(async () => {
  process.kill(daemon.pid, 'SIGTERM');
  await daemon.exited;
  rmSync(dir, { recursive: true, force: true });
});

const errorOf = (doc: Record<string, unknown>): { code: string; message: string; hint: string } => doc['error'] as { code: string; message: string; hint: string };

test('sim: every fix keeps the --socket the user named (and --vf), so it reaches the same daemon', async () => {
  for (const [args, code] of [
    [['sim', 'admin-mac', '--socket', sock], 'ERR_INVALID_ARGUMENT'], // the MAC missing
    [['sim', 'admin-mac', 'zz', '--vf', 'sim', '--socket', sock], 'ERR_INVALID_MAC'],
    [['sim', 'show', '--vf', '0000:03:10.0', '--socket', sock], 'ERR_INVALID_ARGUMENT'], // --vf not a sim VF
    [['sim', 'show', '--socket', sock], 'ERR_INVALID_ARGUMENT'], // two sim VFs: name one
  ] as const) {
    const r = await runCli([...args, '--json']);
    const doc = await oneDocument(r, args.join(' '));
    assert.equal(r.code, 2);
    assert.equal(errorOf(doc).code, code);
    for (const c of commandsIn(errorOf(doc).hint)) assert.match(c, new RegExp(`--socket ${sock.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`), `${args.join(' ')}: ${c}`);
    // The fix gets further: not the same error again (it may act, or ask which of the two sim VFs).
    const fixed = await runCli([...commandsIn(errorOf(doc).hint)[0]!.split(' '), '--json']);
    const again = (JSON.parse(fixed.stdout) as { error?: { message: string } }).error;
    assert.notEqual(again?.message, errorOf(doc).message, `${args.join(' ')}: its fix ${commandsIn(errorOf(doc).hint)[0]} fails the same way`);
  }
});

test('sim --vf naming a sim VF this daemon does not own: the fix is to look at what it owns, not to start a second daemon on its socket', async () => {
  const r = await runCli(['sim', 'pf-reset', '--vf', 'sim:trust=on', '--socket', sock, '--json']);
  const doc = await oneDocument(r, 'sim pf-reset --vf sim:trust=on');
  assert.equal(r.code, 3);
  assert.equal(errorOf(doc).code, 'ERR_NO_SIM_DAEMON');
  assert.doesNotMatch(errorOf(doc).hint, /ixgbevf daemon .*--socket/, 'a daemon already answers on that socket');
  assert.deepEqual(commandsIn(errorOf(doc).hint), [`list --socket ${sock}`]);
});

test('mailbox: directly the API is null (read without a reset, nothing negotiated), through the daemon the API it negotiated; never a made-up 1.0', async () => {
  const info = await oneDocument(await runCli(['info', 'sim', '--json']), 'info sim');
  assert.equal(info['api'], '1.7');
  const direct = await oneDocument(await runCli(['mailbox', 'sim', '--json']), 'mailbox sim');
  assert.equal(direct['api'], null, 'the direct mailbox read negotiated nothing');
  const viaDaemon = await oneDocument(await runCli(['mailbox', 'sim', '--socket', sock, '--json']), 'mailbox sim --socket');
  assert.equal(viaDaemon['via'], 'daemon');
  assert.equal(viaDaemon['api'], '1.7');
  assert.deepEqual(Object.keys(viaDaemon), Object.keys(direct), 'one shape on both paths');
  const text = await runCli(['mailbox', 'sim']);
  assert.match(text.stdout, /^sim \(82599\)$/m, 'the text header claims no API either');
});

test('a VF command through the daemon at a named --socket: a fix that is another VF command keeps --socket (without it the fix would change the VF directly, not through the daemon)', async () => {
  const r = await runCli(['xcast', 'sim', 'promisc', '--socket', sock, '--json']);
  const doc = await oneDocument(r, 'xcast sim promisc --socket');
  assert.equal(r.code, 6);
  assert.equal(errorOf(doc).hint, `ixgbevf xcast sim allmulti --socket ${sock}`);
  const fixed = await runCli([...commandsIn(errorOf(doc).hint)[0]!.split(' '), '--json']);
  assert.equal(fixed.code, 0, fixed.stdout);
  assert.equal((JSON.parse(fixed.stdout) as { via: string }).via, 'daemon');
});
