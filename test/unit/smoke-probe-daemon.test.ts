/**
 * `ixgbevf smoke <vf>` on a VF a daemon owns (a fake daemon answering `status`): refused before anything
 * is opened (exit 3, ERR_OWNED_BY_DAEMON), and the fix names the smoke command to run once the daemon is
 * stopped, without --socket: a stopped daemon's socket no longer answers, and a named one must.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { runCli } from '../helpers/cli-run.js';
import { fakeDaemon, type FakeDaemon } from '../helpers/fake-daemon.js';

const VF = '0000:03:10.0';
const daemons: FakeDaemon[] = [];
after(async () => Promise.all(daemons.map((d) => d.close())));

async function owningDaemon(): Promise<FakeDaemon> {
  const d = await fakeDaemon((req, send, file) => {
    if (req.op === 'status') send({ id: req.id, ok: true, result: { pid: 1, socket: file, vfs: [{ id: VF, kind: 'vfio', family: '82599', state: 'ready' }] } });
    else send({ id: req.id, ok: false, error: { code: 'ERR_UNKNOWN_OP', message: String(req.op), exitCode: 2 } });
  }, 'ixgbevf-smoke-probe-');
  daemons.push(d);
  return d;
}

let opened = 0;
const countingOpen: OpenVfFn = async () => {
  opened += 1;
  throw new Error('the smoke test must not open a VF the daemon owns');
};

interface ErrorDoc {
  error: { code: string; hint?: string; exitCode: number };
}

test('a named --socket whose daemon owns the VF: exit 3, ERR_OWNED_BY_DAEMON, the fix is the test without --socket once the daemon is stopped', async () => {
  const d = await owningDaemon();
  const r = await runCli(['smoke', VF, '--socket', d.path, '--poll', '--json'], { openVf: countingOpen });
  assert.equal(r.code, 3, r.stdout);
  const doc = JSON.parse(r.stdout) as ErrorDoc;
  assert.equal(doc.error.code, 'ERR_OWNED_BY_DAEMON');
  assert.match(doc.error.hint ?? '', /then: ixgbevf smoke 0000:03:10\.0 --poll --json; then start the daemon again$/);
  assert.equal(opened, 0);
});

test('the default socket ($IXGBEVF_SOCKET) whose daemon owns the VF: the same refusal, the fix is the same command line', async () => {
  const d = await owningDaemon();
  const r = await runCli(['smoke', VF, '--json'], { openVf: countingOpen, env: { PATH: process.env.PATH, IXGBEVF_SOCKET: d.path } });
  assert.equal(r.code, 3, r.stdout);
  const doc = JSON.parse(r.stdout) as ErrorDoc;
  assert.equal(doc.error.code, 'ERR_OWNED_BY_DAEMON');
  assert.match(doc.error.hint ?? '', /then: ixgbevf smoke 0000:03:10\.0 --json; then start the daemon again$/);
  assert.equal(opened, 0);
});
