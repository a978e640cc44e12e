/**
 * `watch` without a daemon recovers the VF after a PF reset the way the daemon does: on the PF's events
 * (the mailbox interrupt, re-armed after a reset that found the PF in reset; with --poll the poll), not on
 * a retry timer — the fallback is an hour long here, so only the PF's event can explain the recovery.
 * The stream says `pf-reset`, `waiting-for-pf` while the PF is away, then `recovered` (woken by the PF's
 * event). Ctrl-C in the middle of the recovery ends the watch and releases the VF. No timing assertions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ctx, type CliIo } from '../../src/cli/context.js';
import { reportError } from '../../src/cli/program.js';
import { watchVf } from '../../src/cli/watch.js';
import { NO_DAEMON } from '../helpers/cli-run.js';
import { simOpener } from '../helpers/sim-opener.js';

const HOUR = 3_600_000;

type Line = { type: string; code?: string; wokenBy?: string | null; attempts?: number; api?: string };

/** `watch <spec> --json` in-process (fallback 1 h, poll every 20 ms with --poll): its lines, a wait for one, Ctrl-C. */
function watch(spec: string, poll: boolean) {
  const { openVf, opened } = simOpener();
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const io: CliIo = {
    stdout: (s) => {
      stdout += s;
      wake();
    },
    stderr: (s) => {
      stderr += s;
      wake();
    },
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: NO_DAEMON },
    signal: controller.signal,
    openVf,
  };
  let ended = false;
  const done = watchVf(new Ctx(io, { json: true, ...(poll ? { poll: true } : {}) }), spec, { retryMinMs: HOUR, retryMaxMs: HOUR, pollIntervalMs: 20 })
    .then(() => 0, (err: unknown) => reportError(err, io, true, false))
    .finally(() => {
      ended = true;
      wake();
    });
  const lines = (): Line[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  return {
    opened,
    done,
    lines,
    stderr: () => stderr,
    async waitFor(pred: (l: Line) => boolean): Promise<Line> {
      for (;;) {
        const hit = lines().find(pred);
        if (hit !== undefined) return hit;
        if (ended) throw new Error(`the watch ended first:\n${stdout}\n${stderr}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    ctrlC: () => controller.abort(),
  };
}

for (const spec of ['sim', 'sim:family=82576']) {
  for (const poll of [false, true]) {
    test(`watch ${spec}${poll ? ' --poll' : ''}: PF down → pf-reset, waiting-for-pf; PF up → recovered, woken by the PF's event (fallback 1 h)`, { timeout: 30_000 }, async () => {
      const w = watch(spec, poll);
      await w.waitFor((l) => l.type === 'watching');
      const { handle } = w.opened[0]!;
      await handle.sim!.interfaceDown();
      const waiting = await w.waitFor((l) => l.type === 'waiting-for-pf');
      assert.equal(waiting.code, 'ERR_PF_IN_RESET');
      assert.equal(w.lines().filter((l) => l.type === 'recovered').length, 0, 'not recovered while the PF is down');
      const upAt = w.lines().length;
      await handle.sim!.interfaceUp();
      const recovered = await w.waitFor((l) => l.type === 'recovered');
      assert.ok(w.lines().findIndex((l) => l.type === 'recovered') >= upAt, 'recovered after the PF came up');
      // The PF's ping on coming up, or its reset-done (RSTD, read while the PF held the VF in reset).
      assert.ok(recovered.wokenBy === 'pf-event' || recovered.wokenBy === 'pf-reset-done', `woken by the PF, not by the (1 h) fallback: ${recovered.wokenBy}`);
      // Interrupt mode: one attempt while the PF was down, the next on its RSTD. Polling sees RSTI still set
      // at every poll (as the daemon's poll loop does), and each look may start another attempt.
      if (poll) assert.ok(recovered.attempts! >= 2, String(recovered.attempts));
      else assert.equal(recovered.attempts, 2, 'one attempt while the PF was down, the next when it came up');
      assert.equal(recovered.api, spec === 'sim' ? '1.7' : '1.0');
      const types = w.lines().map((l) => l.type).filter((t) => ['pf-reset', 'waiting-for-pf', 'recovery-failed', 'recovered'].includes(t));
      assert.deepEqual(types, ['pf-reset', 'waiting-for-pf', 'recovered'], `one line each, in order: ${types.join(' ')}`);
      assert.equal(handle.sim!.vfInfo().cts, true, 'the PF has the VF clear-to-send again');
      w.ctrlC();
      assert.equal(await w.done, 0, w.stderr());
      assert.equal(w.opened[0]!.closed, true);
    });
  }
}

test('watch: a PF that comes back without a ping (igb, no link): its reset-done (RSTD, no interrupt) ends the wait, not the 1-h fallback', { timeout: 30_000 }, async () => {
  const w = watch('sim:family=82576,link=down', false);
  await w.waitFor((l) => l.type === 'watching');
  const { handle } = w.opened[0]!;
  await handle.sim!.interfaceDown();
  await w.waitFor((l) => l.type === 'waiting-for-pf');
  await handle.sim!.interfaceUp();
  const recovered = await w.waitFor((l) => l.type === 'recovered');
  assert.equal(recovered.wokenBy, 'pf-reset-done');
  assert.equal(recovered.attempts, 2);
  assert.equal(handle.sim!.vfInfo().cts, true);
  w.ctrlC();
  assert.equal(await w.done, 0, w.stderr());
});

test('watch: Ctrl-C while the recovery waits for the PF (PF down) ends the watch and releases the VF', { timeout: 30_000 }, async () => {
  const w = watch('sim', false);
  await w.waitFor((l) => l.type === 'watching');
  const { handle } = w.opened[0]!;
  await handle.sim!.interfaceDown();
  await w.waitFor((l) => l.type === 'waiting-for-pf');
  w.ctrlC();
  assert.equal(await w.done, 0, w.stderr());
  assert.equal(w.opened[0]!.closed, true, 'released');
  assert.equal(w.lines().filter((l) => l.type === 'recovered').length, 0);
});
