/**
 * The hardware smoke suite on a real host (`npm run test:hw`): the checks of `ixgbevf smoke` under Node's
 * test runner, one test per check, against the VF in IXGBEVF_TEST_VF and the PF netdev in
 * IXGBEVF_TEST_PF. Without IXGBEVF_TEST_VF every test is reported as skipped with the reason — never
 * passed. Opt-in groups need IXGBEVF_TEST_ALLOW_PF_CHANGES=1 / IXGBEVF_TEST_ALLOW_PF_RESET=1 (they change
 * the PF; use a maintenance window), IXGBEVF_TEST_POLL=1 runs without interrupts, IXGBEVF_TEST_BIND=1
 * moves the VF to vfio-pci for the run. Needs root (VFIO, `ip link set`). See docs/hardware.md.
 *
 *   sudo IXGBEVF_TEST_VF=0000:03:10.0 IXGBEVF_TEST_PF=enp3s0f0 npm run test:hw
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { SMOKE_CHECKS, runSmoke, type SmokeReport } from '../../src/smoke/index.js';

const env = process.env;
const VF = env.IXGBEVF_TEST_VF ?? '';
const PF = env.IXGBEVF_TEST_PF;
const on = (name: string): boolean => env[name] === '1' || env[name] === 'true';

const NO_VF = 'set IXGBEVF_TEST_VF=<pci address of a VF> (and IXGBEVF_TEST_PF=<PF netdev>) to run the hardware smoke suite: sudo IXGBEVF_TEST_VF=0000:03:10.0 IXGBEVF_TEST_PF=enp3s0f0 npm run test:hw';
const skipAll: string | false = VF === '' ? NO_VF : VF.startsWith('sim') ? 'IXGBEVF_TEST_VF must be a real VF (PCI address); the simulated VF is covered by npm test' : false;

// Each test is skipped on its own (not the suite) so the runner reports every check as skipped with the reason.
describe(`hardware smoke: ${VF || '(no VF)'}${PF ? ` on ${PF}` : ''}`, () => {
  let report: SmokeReport;

  before(async () => {
    if (skipAll !== false) return;
    const { openVf } = await import('../../src/open/open-vf.js');
    report = await runSmoke({
      spec: VF,
      openVf,
      ...(PF === undefined || PF === '' ? {} : { pf: PF }),
      poll: on('IXGBEVF_TEST_POLL'),
      bind: on('IXGBEVF_TEST_BIND'),
      allowPfChanges: on('IXGBEVF_TEST_ALLOW_PF_CHANGES'),
      allowPfReset: on('IXGBEVF_TEST_ALLOW_PF_RESET'),
      env,
    });
    if (env.IXGBEVF_TEST_REPORT) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(env.IXGBEVF_TEST_REPORT, `${JSON.stringify(report, null, 2)}\n`);
    }
  });

  for (const def of SMOKE_CHECKS) {
    test(`${def.id}: ${def.title}`, { skip: skipAll }, (t) => {
      const c = report.checks.find((x) => x.id === def.id);
      assert.ok(c, `${def.id} is in the report`);
      if (c.status === 'skip') {
        t.skip(c.reason);
        return;
      }
      assert.equal(c.status, 'pass', `${c.reason}${c.hint ? `\nfix: ${c.hint}` : ''}`);
    });
  }

  test('exit code: 0 only when nothing failed; summary adds up', { skip: skipAll }, () => {
    const s = report.summary;
    assert.equal(s.passed + s.failed + s.skipped, report.checks.length);
    assert.equal(report.exitCode === 0, s.failed === 0);
  });
});
