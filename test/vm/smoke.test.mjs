// The hardware smoke test against the real Linux igb PF of the emulated rig, run INSIDE the guest:
//   scripts/vm/test-rig test/vm/smoke.test.mjs      (or with every test/vm file: scripts/vm/test-rig)
// Runs `ixgbevf smoke $VF0 --pf $PFNET --allow-pf-changes --allow-pf-reset --json` (both opt-in groups)
// and checks: exit 0, nothing failed, ixgbe-only checks skipped with a reason naming the family, the
// opt-in groups really ran, and every PF setting is back afterwards. Outside the rig: skipped.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonOrNull } from './helpers.mjs';

const { PF, PFNET, VF0, PROJECT, IXGBEVF_VM_OUT } = process.env;
const inRig = Boolean(PF && VF0 && PFNET && PROJECT);
const NIC = process.env.IXGBEVF_VM_NIC || 'igb';
const skip = !inRig ? 'not inside scripts/vm/run (PF/VF0/PFNET unset)' : NIC !== 'igb' ? `written for the igb PF; this boot has ${NIC}` : false;

const ip = (...args) => execFileSync('ip', args, { encoding: 'utf8' });
const vfView = () => {
  const [link] = JSON.parse(ip('-j', '-d', 'link', 'show', 'dev', PFNET));
  return { link, vf0: (link.vfinfo_list ?? []).find((v) => v.vf === 0) };
};

function smoke(extra = []) {
  const args = ['--import', 'tsx', join(PROJECT, 'src/cli/main.ts'), 'smoke', VF0, '--pf', PFNET, '--allow-pf-changes', '--allow-pf-reset', '--json', ...extra];
  const r = spawnSync(process.execPath, args, { cwd: PROJECT, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, doc: parseJsonOrNull(r.stdout) };
}

function explain(r) {
  const failed = (r.doc?.checks ?? []).filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.reason}${c.hint ? ` (fix: ${c.hint})` : ''}`);
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nfailed: ${failed.join('\n  ') || 'none'}\nstderr: ${r.stderr.slice(-2000)}\nstdout: ${r.stdout.slice(0, r.doc ? 0 : 2000)}`;
}

const IXGBE_ONLY = ['query.queues', 'query.reta', 'query.rss-key', 'query.link-state', 'query.pf-link', 'config.macvlan', 'api.version'];

describe('ixgbevf smoke against the igb PF', { skip }, () => {
  const before = skip ? null : vfView();
  after(() => {
    // Never leave the PF changed for the next test file, whatever happened above.
    try {
      ip('link', 'set', 'dev', PFNET, 'up');
      ip('link', 'set', 'dev', PFNET, 'vf', '0', 'trust', 'off');
      ip('link', 'set', 'dev', PFNET, 'vf', '0', 'mac', '00:00:00:00:00:00');
    } catch {
      // reported by the assertions
    }
  });

  for (const mode of ['interrupts', 'poll']) {
    test(`all checks pass or skip with a reason (${mode})`, { timeout: 300_000 }, () => {
      const r = smoke(mode === 'poll' ? ['--poll'] : []);
      if (IXGBEVF_VM_OUT) writeFileSync(join(IXGBEVF_VM_OUT, `smoke-${mode}.json`), r.stdout);
      assert.ok(r.doc, `--json printed a document\n${explain(r)}`);
      assert.equal(r.doc.summary.failed, 0, explain(r));
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.doc.ok, true);
      assert.equal(r.doc.familyKind, 'igbvf');
      assert.equal(r.doc.model, '82576');
      assert.equal(r.doc.mode, mode);
      const byId = Object.fromEntries(r.doc.checks.map((c) => [c.id, c]));
      const s = r.doc.summary;
      assert.equal(s.passed + s.failed + s.skipped, r.doc.checks.length);
      for (const c of r.doc.checks) assert.ok(c.reason.length > 0, `${c.id} has a reason`);
      for (const id of IXGBE_ONLY) {
        assert.equal(byId[id].status, 'skip', `${id}: ${byId[id].reason}`);
        assert.match(byId[id].reason, /igb|82576/, `${id} names the family: ${byId[id].reason}`);
      }
      for (const id of ['env.driver', 'env.doctor', 'env.open', 'env.pf-view', 'reset.answer', 'reset.mac', 'api.coverage', 'query.link-register', 'config.set-mac', 'config.mtu', 'config.vlan', 'config.multicast', 'config.xcast', 'pf.trust-off', 'pf.trust-on', 'pf.restore', 'pf.reset', 'release.view']) {
        assert.equal(byId[id].status, 'pass', `${id}: ${byId[id].reason}`);
      }
      assert.equal(byId['irq.msix'].status, mode === 'poll' ? 'skip' : 'pass', byId['irq.msix'].reason);
      assert.ok(byId['pf.reset'].details.recoverMs <= byId['pf.reset'].details.boundMs);
      assert.match(byId['release.view'].reason, /as igb does on VF reset/);
    });
  }

  test('the PF is as it was: up, VF 0 trust off, no admin MAC', () => {
    const now = vfView();
    assert.ok(now.link.flags.includes('UP'), 'PF up');
    assert.equal(now.vf0.trust, before.vf0.trust, 'trust restored');
    assert.equal(now.vf0.trust, false);
    const mac = now.vf0.address ?? now.vf0.mac;
    assert.ok(mac === '00:00:00:00:00:00' || mac === (before.vf0.address ?? before.vf0.mac), `VF 0 MAC ${mac}`);
  });
});
