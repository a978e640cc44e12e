/**
 * Signals on the real binary (a child process): SIGHUP stops the daemon cleanly (documented choice: no
 * reload), as do SIGTERM, SIGINT and the other catchable fatal signals — socket removed, VFs released,
 * pending state written, a `stopped` line — instead of dying with the socket left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RawConn } from '../helpers/cli-daemon.js';
import { tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';

type Reply = { id: unknown; ok: boolean; result?: Record<string, unknown> };

// Either path is clean: the daemon's own (stop, then end by the same signal, reason = its name) or the
// CLI's (main.ts turns SIGINT/SIGTERM into run()'s abort: exit 0, reason "signal").
const viaDaemon = (sig: NodeJS.Signals) => ({ signal: sig, reason: sig });
const viaCli = { code: 0, reason: 'signal' } as const;
for (const [signal, accepted] of [
  ['SIGHUP', [viaDaemon('SIGHUP'), viaCli]],
  ['SIGUSR2', [viaDaemon('SIGUSR2'), viaCli]],
  ['SIGTERM', [viaCli]],
  ['SIGINT', [viaCli]],
] as const) {
  test(`${signal}: clean stop (VF closed, socket removed, state on disk, stopped line)`, { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const socket = path.join(dir, 'd.sock');
    const stateDir = path.join(dir, 'state');
    const child = new DaemonChild(['sim', '--socket', socket, '--state-dir', stateDir]);
    try {
      await child.waitLog((l) => l.event === 'ready');
      const conn = await RawConn.open(socket);
      const r = await conn.request<Reply>({ id: 1, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:61' });
      assert.equal(r.result!.persisted, true);
      conn.close();
      child.kill(signal);
      const exit = await child.exited;
      const stopped = child.logs.find((l) => l.event === 'stopped');
      const match = accepted.find((a) => ('signal' in a ? exit.signal === a.signal : exit.code === a.code) && stopped?.reason === a.reason);
      assert.ok(match !== undefined, `a clean exit (${JSON.stringify(accepted)}), got ${JSON.stringify(exit)} stopped=${JSON.stringify(stopped)}\n${child.stderr}`);
      const events = child.logs.map((l) => l.event);
      assert.ok(events.includes('closed'), `VF released: ${events.join(' ')}`);
      assert.equal(existsSync(socket), false, 'socket removed');
      assert.equal(JSON.parse(readFileSync(path.join(stateDir, 'sim.json'), 'utf8')).desired.mac, '02:00:00:00:00:61');
    } finally {
      if (child.alive) child.kill('SIGKILL');
    }
  });
}
