/**
 * Fix lines that name a daemon must name the one the user is talking to (docs/cli.md: hints are phrased
 * for where you are, and a socket named with --socket is the only one used). Two commands that used to
 * drop the socket: `ixgbevf sim <action>` against a daemon that owns several sim VFs, and a second
 * daemon started on a socket another one holds (its `ixgbevf list` looked at the default socket).
 * And a VF command through a daemon that owns several sim VFs: its `ixgbevf sim …` fix lacked `--vf`,
 * which `ixgbevf sim` then refused (it will not guess among several).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli-run.js';
import { startDaemon } from '../helpers/cli-daemon.js';

test('ixgbevf sim <action> with several sim VFs: the fix adds --vf and keeps --socket and the MAC', async () => {
  const d = await startDaemon(['sim', 'sim:family=82576']);
  try {
    const r = await runCli(['sim', 'admin-mac', '02:00:00:00:00:ab', '--socket', d.socket]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /name one with --vf/);
    const hint = /\(try: (ixgbevf [^)]*)\)/.exec(r.stderr)?.[1];
    assert.equal(hint, `ixgbevf sim admin-mac 02:00:00:00:00:ab --vf sim --socket ${d.socket}`);
    // The fix works as printed.
    const again = await runCli(['sim', 'admin-mac', '02:00:00:00:00:ab', '--vf', 'sim', '--socket', d.socket]);
    assert.equal(again.code, 0, again.stderr);

    const j = await runCli(['sim', 'pf-reset', '--socket', d.socket, '--json']);
    assert.equal(j.code, 2);
    const doc = JSON.parse(j.stdout) as { error: { hint: string } };
    assert.equal(doc.error.hint, `ixgbevf sim pf-reset --vf sim --socket ${d.socket}`);
  } finally {
    await d.stop();
  }
});

test('a second daemon on a socket another one serves: the fix lists that daemon (--socket), not the default one', async () => {
  const d = await startDaemon(['sim']);
  try {
    const r = await runCli(['daemon', 'sim', '--socket', d.socket], { env: { PATH: process.env.PATH } });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /another daemon is (running or starting|listening) on/);
    assert.match(r.stderr, new RegExp(`fix: ixgbevf list --socket ${d.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(shows which VFs it owns\\)`));
  } finally {
    await d.stop();
  }
});

test('a VF command through a daemon that owns several sim VFs: its `ixgbevf sim …` fix names the VF (--vf), and runs', async () => {
  const spec = 'sim:mac=02:00:00:00:00:aa,trust=off';
  const d = await startDaemon([spec, 'sim:family=82576']);
  try {
    const r = await runCli(['set-mac', spec, '02:00:00:00:00:01', '--socket', d.socket]);
    assert.equal(r.code, 5, r.stderr);
    const fix = /^ {2}fix: (ixgbevf sim trust-on [^\n(]*?)(?: {2,}\(|\n|$)/m.exec(r.stderr)?.[1]?.trim();
    assert.equal(fix, `ixgbevf sim trust-on --vf ${spec} --socket ${d.socket}`, r.stderr);
    const trusted = await runCli(['sim', 'trust-on', '--vf', spec, '--socket', d.socket]);
    assert.equal(trusted.code, 0, trusted.stderr);
    const again = await runCli(['set-mac', spec, '02:00:00:00:00:01', '--socket', d.socket]);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    await d.stop();
  }
});

test('with one sim VF in the daemon the fix stays short (no --vf)', async () => {
  const spec = 'sim:mac=02:00:00:00:00:aa,trust=off';
  const d = await startDaemon([spec]);
  try {
    const r = await runCli(['set-mac', spec, '02:00:00:00:00:01', '--socket', d.socket]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`fix: .*ixgbevf sim trust-on --socket ${d.socket.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.doesNotMatch(r.stderr, /--vf/);
  } finally {
    await d.stop();
  }
});
