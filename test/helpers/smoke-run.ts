/** Runs the smoke engine in-process on a simulated VF, for the engine's tests: its report, the VF's handle, the checks by id. */
import { openVf } from '../../src/open/open-vf.js';
import type { OpenOptions, VfHandle } from '../../src/open/types.js';
import { runSmoke, type SmokeCheck, type SmokeOptions, type SmokeReport } from '../../src/smoke/index.js';

/** Fixed test MACs (the engine picks random ones otherwise). */
export const SMOKE_MACS = { test: '02:aa:00:00:00:01', other: '02:aa:00:00:00:02', admin: '02:aa:00:00:00:03' };

export interface SmokeRunResult {
  report: SmokeReport;
  handle: VfHandle | null;
  byId: Record<string, SmokeCheck>;
}

export async function smokeOnSim(spec: string, opts: Partial<SmokeOptions> = {}): Promise<SmokeRunResult> {
  let handle: VfHandle | null = null;
  const report = await runSmoke({
    spec,
    macs: SMOKE_MACS,
    openVf: async (s: string, o?: OpenOptions) => {
      handle = await openVf(s, o);
      return handle;
    },
    ...opts,
  });
  return { report, handle, byId: Object.fromEntries(report.checks.map((c) => [c.id, c])) };
}
