/**
 * src/open/open-vf.ts's openVf, late for the specs $IXGBEVF_TEST_SLOW_OPEN names (JSON: spec → ms); the
 * real binary loads this instead when started with test/helpers/slow-open.mjs. A timer, not a busy wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openVf as realOpenVf, type OpenOptions, type VfHandle } from '../../src/open/open-vf.js';

export type { OpenOptions, VfHandle } from '../../src/open/open-vf.js';

const delays = JSON.parse(process.env['IXGBEVF_TEST_SLOW_OPEN'] ?? '{}') as Record<string, number>;

export async function openVf(spec: string, options: OpenOptions = {}): Promise<VfHandle> {
  const ms = delays[spec];
  if (ms !== undefined) {
    process.stderr.write(`${JSON.stringify({ event: 'test-slow-open', vf: spec, ms })}\n`);
    await sleep(ms);
  }
  return realOpenVf(spec, options);
}
