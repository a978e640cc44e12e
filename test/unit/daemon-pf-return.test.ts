/**
 * The daemon's recovery sees the PF come back from its reset-done alone: RSTD set and RSTI cleared by the
 * PF (CTRL_EXT.PFRSTD) raise no VF interrupt, and a PF without link (igb) sends no ping after it, so the
 * wait reads VFMAILBOX while the PF holds the VF in reset. The fallback is an hour here: only that read can
 * end the wait. No timing assertions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemon } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';

const HOUR = 3_600_000;

async function logLine(d: { log(): string }, re: RegExp): Promise<string> {
  for (;;) {
    const line = d.log().split('\n').find((l) => re.test(l));
    if (line !== undefined) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('PF down past the reset budget, then up without a ping: recovered, woken by the PF\'s reset-done, not the 1-h fallback', { timeout: 30_000 }, async () => {
  const spec = 'sim:family=82576,link=down,mac=02:00:00:00:00:31';
  const d = await startDaemon([spec, '--log-format', 'json'], { io: { daemon: { retryMinMs: HOUR, retryMaxMs: HOUR } } });
  try {
    await logLine(d, /"event":"ready"/);
    const sock = ['--socket', d.socket];
    assert.equal((await runCli(['sim', 'pf-down', ...sock])).code, 0);
    const waiting = await logLine(d, /"event":"waiting-for-pf"/);
    assert.match(waiting, /"code":"ERR_PF_IN_RESET"/);
    assert.equal((await runCli(['sim', 'pf-up', ...sock])).code, 0);
    const recovered = JSON.parse(await logLine(d, /"event":"recovered"/)) as { wokenBy: string; attempts: number; afterPfSignalMs?: number };
    assert.equal(recovered.wokenBy, 'pf-reset-done');
    assert.equal(recovered.attempts, 2);
    assert.equal(typeof recovered.afterPfSignalMs, 'number');
    const info = await runCli(['info', spec, ...sock, '--json']);
    assert.equal(info.code, 0, info.stderr);
  } finally {
    await d.stop();
  }
});
