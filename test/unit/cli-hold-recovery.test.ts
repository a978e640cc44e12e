/**
 * `--hold` keeps its promise across a PF reset: while the command holds a directly opened VF, a PF down/up
 * makes it recover the VF (reset + negotiate) and apply the operation again — on the PF's event, not on a
 * timer: the recovery's fallback timer is an hour long here, so only the PF's event can explain an
 * attempt after the PF came up. An attempt while the PF is still down fails and is reported once; Ctrl-C
 * ends the hold at any time (also in the middle of an attempt) and releases the VF. Events and their
 * order are asserted, never wall-clock time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ctx, type CliIo } from '../../src/cli/context.js';
import { runVfOp } from '../../src/cli/vf-commands.js';
import { setMacOp, vlanOp } from '../../src/cli/vf-ops.js';
import { reportError } from '../../src/cli/program.js';
import type { SimPf } from '../../src/sim/index.js';
import { NO_DAEMON } from '../helpers/cli-run.js';
import { simOpener } from '../helpers/sim-opener.js';

const HOUR = 3_600_000;
const MAC = '02:00:00:00:00:42';
const ID = { RESET: 0x01, SET_MAC: 0x02, SET_VLAN: 0x04 };

/** One `--hold` run in-process: its output so far, a wait for a line, Ctrl-C, and its exit code. */
function hold(args: { spec: string; op: Parameters<typeof runVfOp>[2]; json?: boolean; poll?: boolean; resetTimeoutMs?: number }) {
  const { openVf, opened } = simOpener(args.resetTimeoutMs);
  const controller = new AbortController();
  const out = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  const io: CliIo = {
    stdout: (s) => {
      out.stdout += s;
      for (const w of waiters.splice(0)) w();
    },
    stderr: (s) => {
      out.stderr += s;
      for (const w of waiters.splice(0)) w();
    },
    env: { PATH: process.env.PATH, IXGBEVF_SOCKET: NO_DAEMON },
    signal: controller.signal,
    openVf,
  };
  const ctx = new Ctx(io, { ...(args.json === true ? { json: true } : {}), ...(args.poll === true ? { poll: true } : {}) });
  let ended = false;
  const done = runVfOp(ctx, args.spec, args.op, true, { retryMinMs: HOUR, retryMaxMs: HOUR, pollIntervalMs: 20 })
    .then(() => 0, (err: unknown) => reportError(err, io, args.json === true, false))
    .finally(() => {
      ended = true;
      for (const w of waiters.splice(0)) w();
    });
  return {
    out,
    opened,
    done,
    /** Resolves once stderr (or stdout) matches `re` (rejects when the command ended first). */
    async stderrMatches(re: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): Promise<void> {
      while (!re.test(out[stream])) {
        if (ended) throw new Error(`the command ended before ${re}:\n${out.stdout}\n${out.stderr}`);
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    ctrlC: () => controller.abort(),
  };
}

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;
/** The PF's log entries from `from` on with message id `id`. */
const messages = (pf: SimPf, from: number, id: number) => pf.log.slice(from).filter((e) => e.id === id);

for (const spec of ['sim', 'sim:family=82576']) {
  for (const poll of [false, true]) {
    test(`${spec} set-mac --hold${poll ? ' --poll' : ''}: after a PF down/up the MAC is set on the PF again, on the PF's event (fallback 1 h); an attempt while the PF is down fails once`, { timeout: 30_000 }, async () => {
      const h = hold({ spec, op: setMacOp(MAC), poll });
      await h.stderrMatches(/^holding /m);
      const { handle, pf } = h.opened[0]!;
      assert.equal(handle.sim!.vfInfo().mac, MAC);
      const mark = pf.log.length;

      await handle.sim!.interfaceDown();
      // The reset is seen; the attempt finds the PF still in reset and says so, once.
      await h.stderrMatches(/could not re-apply set-mac 02:00:00:00:00:42 to .* yet: .*\(ERR_PF_IN_RESET\)/);
      assert.equal(messages(pf, mark, ID.SET_MAC).length, 0, 'nothing re-applied while the PF is down');
      const beforeUp = pf.log.length;

      await handle.sim!.interfaceUp();
      await h.stderrMatches(/^re-applied set-mac 02:00:00:00:00:42 to /m);
      // Only the PF's event explains this attempt: the fallback timer is an hour long.
      const reset = messages(pf, beforeUp, ID.RESET);
      const setMac = messages(pf, beforeUp, ID.SET_MAC);
      assert.ok(reset.length >= 1, 'the VF was reset after the PF came up');
      assert.ok(setMac.length >= 1 && setMac.every((e) => e.result === 'ACK'), `SET_MAC re-sent and ACKed: ${JSON.stringify(setMac)}`);
      assert.ok(pf.log.indexOf(reset[0]!) < pf.log.indexOf(setMac[0]!), 'reset, then the MAC');
      const view = handle.sim!.vfInfo();
      assert.equal(view.mac, MAC, 'the PF holds the MAC again');
      assert.equal(view.cts, true, 'the PF has the VF clear-to-send again');

      const err = h.out.stderr;
      assert.ok(err.indexOf('PF reset: re-applying') < err.indexOf('could not re-apply'), err);
      assert.ok(err.indexOf('could not re-apply') < err.search(/^re-applied/m), err);
      assert.equal(count(err, /could not re-apply/), 1, `reported once per cause:\n${err}`);
      // The PF away is routine (the daemon's waiting-for-pf, info): a plain line with its fix, no warning.
      assert.match(err, /^waiting for the PF: could not re-apply set-mac .*\(ERR_PF_IN_RESET\).*\n {2}fix: /m);
      assert.doesNotMatch(err, /warning/);
      assert.equal(h.opened.length, 1, 'the same VF, not opened again');

      h.ctrlC();
      assert.equal(await h.done, 0, err);
      assert.equal(h.opened[0]!.closed, true, 'Ctrl-C released the VF');
    });
  }
}

test('--hold --json: stdout stays the one result document; the PF-reset notices are on stderr', { timeout: 30_000 }, async () => {
  const h = hold({ spec: 'sim', op: setMacOp(MAC), json: true });
  // No "holding" note in --json mode: the result document on stdout says the command got there.
  await h.stderrMatches(/"pfReply"/, 'stdout');
  const { handle } = h.opened[0]!;
  await handle.sim!.interfaceDown();
  await h.stderrMatches(/could not re-apply/);
  await handle.sim!.interfaceUp();
  await h.stderrMatches(/^re-applied /m);
  h.ctrlC();
  assert.equal(await h.done, 0);
  const doc = JSON.parse(h.out.stdout) as Record<string, unknown>;
  assert.equal(doc.mac, MAC);
  assert.match(h.out.stderr, /^PF reset: re-applying set-mac 02:00:00:00:00:42 to sim /m);
});

test('vlan add --hold: the VLAN filter the PF dropped in the VF reset is back after a PF down/up', { timeout: 30_000 }, async () => {
  const h = hold({ spec: 'sim', op: vlanOp('add', 100) });
  await h.stderrMatches(/^holding /m);
  const { handle } = h.opened[0]!;
  const vlans = (): number[] => [...(handle.sim!.vfInfo().vlans as Set<number>)];
  assert.ok(vlans().includes(100));
  await handle.sim!.interfaceDown();
  await h.stderrMatches(/could not re-apply vlan add 100/);
  await handle.sim!.interfaceUp();
  await h.stderrMatches(/^re-applied vlan add 100 to sim/m);
  assert.ok(vlans().includes(100), `VLAN 100 on the PF: ${JSON.stringify(vlans())}`);
  h.ctrlC();
  assert.equal(await h.done, 0);
});

test('a re-apply the PF refuses (an admin MAC set meanwhile, VF untrusted) is reported with its fix, and the hold goes on', { timeout: 30_000 }, async () => {
  const h = hold({ spec: 'sim', op: setMacOp(MAC) });
  await h.stderrMatches(/^holding /m);
  const { handle } = h.opened[0]!;
  await handle.sim!.setAdminMac('02:ad:00:00:00:01');
  await handle.sim!.interfaceDown();
  await handle.sim!.interfaceUp();
  await h.stderrMatches(/re-applying set-mac 02:00:00:00:00:42 to sim after the PF's reset failed: the PF refused MAC .*administrator set MAC 02:ad:00:00:00:01.*; holding sim without it/);
  await h.stderrMatches(/fix: add trust=on to the sim spec/);
  assert.doesNotMatch(h.out.stderr, /^re-applied/m);
  assert.equal(h.opened[0]!.closed, false, 'still holding');
  h.ctrlC();
  assert.equal(await h.done, 0);
  assert.equal(h.opened[0]!.closed, true);
});

test('Ctrl-C while the recovery waits for the PF (PF down) ends the hold and releases the VF', { timeout: 30_000 }, async () => {
  const h = hold({ spec: 'sim', op: setMacOp(MAC) });
  await h.stderrMatches(/^holding /m);
  const { handle, pf } = h.opened[0]!;
  await handle.sim!.interfaceDown();
  await h.stderrMatches(/could not re-apply/);
  const mark = pf.log.length;
  h.ctrlC();
  assert.equal(await h.done, 0);
  assert.equal(h.opened[0]!.closed, true, 'released');
  await handle.sim!.interfaceUp();
  await new Promise((r) => setImmediate(r));
  assert.equal(pf.log.length, mark, 'nothing sent after Ctrl-C');
  assert.doesNotMatch(h.out.stderr, /^re-applied/m);
});

test('Ctrl-C in the middle of a recovery attempt (a VF reset waiting, for up to an hour, for the PF to leave reset) ends it promptly and releases the VF', { timeout: 30_000 }, async () => {
  const h = hold({ spec: 'sim', op: setMacOp(MAC), resetTimeoutMs: HOUR });
  await h.stderrMatches(/^holding /m);
  const { handle } = h.opened[0]!;
  await handle.sim!.interfaceDown();
  await h.stderrMatches(/^PF reset: re-applying set-mac/m);
  // The attempt is in flight: its reset waits for RSTI to clear (an hour). Only Ctrl-C can end it.
  h.ctrlC();
  assert.equal(await h.done, 0, h.out.stderr);
  assert.equal(h.opened[0]!.closed, true, 'released');
  assert.doesNotMatch(h.out.stderr, /could not re-apply|^re-applied/m);
});
