/**
 * A `sim` VfHandle for CLI and daemon tests. Uses the real `openVf` from src/open.ts when it exists;
 * until then builds the same thing from src/sim + src/vf (simulated PF, real Vf class) so tests exercise
 * the real protocol code either way.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import type { OpenOptions, SimPfControl, VfHandle } from '../../src/open-types.js';
import { createSimulatedVf } from '../../src/sim/index.js';
import { Vf } from '../../src/vf/vf.js';

const openTs = fileURLToPath(new URL('../../src/open.ts', import.meta.url));

export const usingRealOpen = existsSync(openTs);

/** Every handle opened by the test openVf, so a test can reach the simulated PF of a VF the CLI opened. */
export const opened: VfHandle[] = [];

async function fallbackOpen(spec: string, options: OpenOptions = {}): Promise<VfHandle> {
  const sim = createSimulatedVf(spec === 'sim' ? {} : { spec });
  const pf = sim.pf as unknown as {
    up: boolean;
    interfaceDown(): Promise<void>;
    interfaceUp(): Promise<void>;
    setTrust(on: boolean, vf?: number): Promise<void>;
    setAdminMac(mac: string | null, vf?: number): Promise<void>;
    vf(i?: number): { mac: string; trusted: boolean } & Record<string, unknown>;
  };
  const vf = new Vf({
    regs: sim.regs,
    irqs: sim.irqs,
    family: sim.family,
    interrupts: options.poll !== true,
    pfName: 'simpf0',
    vfIndex: 0,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.onTrace === undefined
      ? {}
      : {
          onTrace: (ev) => {
            if (ev.kind === 'tx') options.onTrace!({ direction: 'vf-to-pf', words: ev.words });
            else if (ev.kind === 'rx') options.onTrace!({ direction: 'pf-to-vf', words: ev.words });
          },
        }),
  });
  const control: SimPfControl = {
    interfaceDown: () => pf.interfaceDown(),
    interfaceUp: () => pf.interfaceUp(),
    setTrust: (on) => pf.setTrust(on, 0),
    setAdminMac: (mac) => pf.setAdminMac(mac, 0),
    vfInfo: () => ({ ...pf.vf(0), mac: pf.vf(0).mac, trust: pf.vf(0).trusted, pfUp: pf.up }),
  };
  let closed = false;
  const handle: VfHandle = {
    id: spec,
    kind: 'sim',
    family: sim.family,
    pfName: 'simpf0',
    vfIndex: 0,
    vf,
    regs: sim.regs,
    sim: control,
    onReleaseRequested: () => () => undefined,
    ref: () => undefined,
    unref: () => undefined,
    close: async () => {
      if (closed) return;
      closed = true;
      vf.close();
    },
  };
  return handle;
}

let real: OpenVfFn | undefined;

/** openVf for tests: records every handle in `opened`. */
export const testOpenVf: OpenVfFn = async (spec, options) => {
  if (usingRealOpen) {
    const spec2 = '../../src/open.js';
    real ??= ((await import(spec2)) as { openVf: OpenVfFn }).openVf;
  }
  const handle = await (real ?? fallbackOpen)(spec, options);
  opened.push(handle);
  return handle;
};
