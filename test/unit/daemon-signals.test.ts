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

for (const [signal, expected] of [
  ['SIGHUP', { signal: 'SIGHUP', reason: 'SIGHUP' }],
  ['SIGUSR2', { signal: 'SIGUSR2', reason: 'SIGUSR2' }],
  ['SIGTERM', { code: 0, reason: 'signal' }],
  ['SIGINT', { code: 0, reason: 'signal' }],
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
      if ('signal' in expected) assert.equal(exit.signal, expected.signal, `ends by its signal after cleaning up: ${JSON.stringify(exit)}\n${child.stderr}`);
      else assert.equal(exit.code, expected.code, child.stderr);
      const events = child.logs.map((l) => l.event);
      assert.ok(events.includes('closed'), `VF released: ${events.join(' ')}`);
      const stopped = child.logs.find((l) => l.event === 'stopped');
      assert.equal(stopped?.reason, expected.reason, child.stderr);
      assert.equal(existsSync(socket), false, 'socket removed');
      assert.equal(JSON.parse(readFileSync(path.join(stateDir, 'sim.json'), 'utf8')).desired.mac, '02:00:00:00:00:61');
    } finally {
      if (child.alive) child.kill('SIGKILL');
    }
  });
}
