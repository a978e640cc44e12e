/**
 * src/open/open-vf.ts's openVf as the real binary sees it when started with test/helpers/smoke-hold.mjs,
 * configured by $IXGBEVF_TEST_SMOKE_HOLD (JSON, `SmokeHoldConfig`). Each hold writes one JSON line on
 * stderr (`{"event":"test-smoke-hold","op":…}`) when it begins, for the test to wait on. Nothing here
 * sleeps: a held operation simply does not happen (or never completes) until the process ends.
 */
import { openVf as realOpenVf, type OpenOptions, type VfHandle } from '../../src/open/open-vf.js';
import type { SimPfControl } from '../../src/open/types.js';
import { defaultSysfsWriter } from '../../src/pci/sysfs.js';
import { FakeKernel, FakeSys, type FakeSysSpec } from './fake-sysfs.js';

export type { OpenOptions, VfHandle } from '../../src/open/open-vf.js';

export interface SmokeHoldConfig {
  /** Open these PCI addresses as these `sim` specs (the handle keeps the address as its id). */
  sims?: Record<string, string>;
  /**
   * `ip link set <pf> up` on the simulated PF is taken but not done: the PF stays down, every VF reset
   * fails (PF in reset), and pf.reset's recovery waits for as long as its --reset-bound.
   */
  holdPfUp?: boolean;
  /** Once a PF-up was held: the next PF change (admin MAC or trust: the restore's) never completes. */
  holdRestore?: boolean;
  /** A fake sysfs tree (test/helpers/fake-sysfs.ts) whose simulated kernel takes every sysfs write: --bind moves driver links. */
  kernel?: { sysRoot: string; devRoot: string; spec: FakeSysSpec };
}

export const SMOKE_HOLD_ENV = 'IXGBEVF_TEST_SMOKE_HOLD';

const config = JSON.parse(process.env[SMOKE_HOLD_ENV] ?? '{}') as SmokeHoldConfig;

const mark = (op: string): void => void process.stderr.write(`${JSON.stringify({ event: 'test-smoke-hold', op })}\n`);

if (config.kernel !== undefined) {
  // FakeKernel works on a FakeSys: one re-attached to the parent's tree (its directories, not a new build).
  const fake = Object.assign(Object.create(FakeSys.prototype) as FakeSys, config.kernel);
  const kernel = new FakeKernel(fake);
  defaultSysfsWriter.write = (file, data) => kernel.write(file, data);
}

function heldControl(control: SimPfControl): SimPfControl {
  let upHeld = false;
  const change = <A extends unknown[]>(op: string, real: (...a: A) => void | Promise<void>) => (...a: A): void | Promise<void> => {
    if (config.holdRestore === true && upHeld) {
      mark(op);
      return new Promise<void>(() => undefined);
    }
    return real(...a);
  };
  return {
    ...control,
    interfaceUp: () => {
      if (config.holdPfUp !== true) return control.interfaceUp();
      upHeld = true;
      mark('interfaceUp');
    },
    setAdminMac: change('setAdminMac', (mac: string | null) => control.setAdminMac(mac)),
    setTrust: change('setTrust', (on: boolean) => control.setTrust(on)),
  };
}

export async function openVf(spec: string, options: OpenOptions = {}): Promise<VfHandle> {
  const sim = config.sims?.[spec];
  const h = await realOpenVf(sim ?? spec, options);
  const held = h.sim === undefined ? h : { ...h, sim: heldControl(h.sim) };
  return sim === undefined ? held : { ...held, id: spec };
}
