/**
 * env.doctor with several failed doctor checks that share a fix (a host without the vfio and vfio-pci
 * modules: both say `modprobe vfio-pci`): the check's fix names each command once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvironmentError } from '../../src/errors.js';
import { runSmoke } from '../../src/smoke/index.js';
import { SMOKE_MACS } from '../helpers/smoke-run.js';

const ADDR = '0000:03:10.0';

test('env.doctor: a fix shared by two failed doctor checks appears once in the hint, every message is kept', async () => {
  const host = {
    diagnose: async () => ({
      target: ADDR as never,
      ok: false,
      checks: [
        { id: 'iommu', status: 'fail' as const, message: 'no IOMMU enabled', fix: 'add intel_iommu=on' },
        { id: 'vfio', status: 'fail' as const, message: 'the vfio module is not loaded', fix: 'modprobe vfio-pci' },
        { id: 'vfio-pci', status: 'fail' as const, message: 'the vfio-pci module is not loaded', fix: 'modprobe vfio-pci' },
      ],
    }),
    readDriver: async () => 'vfio-pci',
    bind: async () => ({ previousDriver: 'vfio-pci', changed: false }),
    restore: async (_vf: string, d: string | null) => ({ driver: d }),
  };
  const openVf = async (): Promise<never> => {
    throw new EnvironmentError('ERR_VFIO_OPEN', 'no VFIO here');
  };
  const r = await runSmoke({ spec: ADDR, openVf, host, macs: SMOKE_MACS });
  const c = r.checks.find((x) => x.id === 'env.doctor')!;
  assert.equal(c.status, 'fail');
  assert.equal(c.hint, 'add intel_iommu=on; modprobe vfio-pci');
  assert.equal(c.reason, 'no IOMMU enabled; the vfio module is not loaded; the vfio-pci module is not loaded');
  assert.equal(r.exitCode, 3);
});
