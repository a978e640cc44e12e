/**
 * A request line with bad values gets, as its error's hint, the `ixgbevf` command that sends the same
 * request to this daemon with good values (src/daemon/request-fix.ts). Each hint is run through the CLI:
 * it reaches the daemon and succeeds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestFixCommand } from '../../src/daemon/request-fix.js';
import { RawConn, withReadyVf, type Reply } from '../helpers/cli-daemon.js';
import { startDirectDaemon } from '../helpers/daemon-direct.js';
import { runCli } from '../helpers/cli-run.js';

/** Splits a hint back into argv (the test's socket path holds no characters the shell would quote). */
const argvOf = (hint: string): string[] => hint.split(' ').slice(1);

test('bad values in a request line: the hint is the command with good values, kept values kept, and it runs', async () => {
  const d = await startDirectDaemon(['sim']);
  const S = d.socket;
  const cases: [request: Record<string, unknown>, code: string, fix: string][] = [
    [{ op: 'mtu', vf: 'sim', mtu: '1e3' }, 'ERR_BAD_REQUEST', `ixgbevf mtu sim 1500 --socket ${S}`],
    [{ op: 'mtu', vf: 'sim', mtu: 20 }, 'ERR_INVALID_MTU', `ixgbevf mtu sim 1500 --socket ${S}`],
    [{ op: 'set-mac', vf: 'sim', mac: 'zz' }, 'ERR_INVALID_MAC', `ixgbevf set-mac sim 02:00:00:00:00:01 --socket ${S}`],
    [{ op: 'set-mac', vf: 'sim' }, 'ERR_BAD_REQUEST', `ixgbevf set-mac sim 02:00:00:00:00:01 --socket ${S}`],
    [{ op: 'vlan', vf: 'sim', action: 'up', vlan: 7 }, 'ERR_INVALID_ARGUMENT', `ixgbevf vlan sim add 7 --socket ${S}`],
    [{ op: 'vlan', vf: 'sim', action: 'del', vlan: 4095 }, 'ERR_INVALID_VLAN', `ixgbevf vlan sim del 100 --socket ${S}`],
    [{ op: 'multicast', vf: 'sim', macs: ['33:33:00:00:00:01', '02:00:00:00:00:01', 5] }, 'ERR_INVALID_MAC', `ixgbevf multicast sim 33:33:00:00:00:01 01:00:5e:00:00:01 01:00:5e:00:00:01 --socket ${S}`],
    [{ op: 'xcast', vf: 'sim', mode: 'PROMISC' }, 'ERR_INVALID_XCAST', `ixgbevf xcast sim multi --socket ${S}`],
  ];
  await withReadyVf(d, 'sim', async (conn: RawConn) => {
    let id = 1;
    for (const [request, code, fix] of cases) {
      const r = await conn.request<Reply>({ id: id++, ...request });
      assert.equal(r.ok, false, JSON.stringify(request));
      assert.equal(r.error!.code, code, JSON.stringify(request));
      assert.equal(r.error!.exitCode, 2);
      assert.equal(r.error!.hint, fix, JSON.stringify(request));
      const again = await runCli(argvOf(fix));
      assert.equal(again.code, 0, `${fix}: ${again.stderr}`);
    }
    // No op or VF a command can name: the protocol's own hints stay.
    for (const [request, hint] of [[{ op: 'bogus', vf: 'sim' }, /^ops: /], [{ op: 'mtu', vf: 42, mtu: 1500 }, /^send one JSON object per line/], [{ op: 'mtu', vf: '0000:03:10', mtu: 1500 }, /^ixgbevf list$/]] as const) {
      const r = await conn.request<Reply>({ id: id++, ...request });
      assert.match(r.error!.hint ?? '', hint, JSON.stringify(request));
    }
  });
});

test('requestFixCommand: null without a usable op or VF; quotes the socket path for the shell', () => {
  assert.equal(requestFixCommand(null, '/s'), null);
  assert.equal(requestFixCommand([], '/s'), null);
  assert.equal(requestFixCommand({ op: 'status' }, '/s'), null);
  assert.equal(requestFixCommand({ op: 'sim', vf: 'sim', action: 'x' }, '/s'), null);
  assert.equal(requestFixCommand({ op: 'mtu', vf: 'sim:bad spec', mtu: 1 }, '/s'), null);
  assert.equal(requestFixCommand({ op: 'mtu', vf: 'sim', mtu: 9000 }, '/tmp/a b.sock'), "ixgbevf mtu sim 9000 --socket '/tmp/a b.sock'");
  assert.equal(requestFixCommand({ op: 'multicast', vf: 'sim', macs: 'x' }, '/s'), 'ixgbevf multicast sim 01:00:5e:00:00:01 --socket /s');
});
