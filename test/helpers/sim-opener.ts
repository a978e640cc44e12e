/**
 * An `openVf` for the CLI's recovery tests (`--hold`, direct `watch`): `sim` specs only, each simulated PF
 * kept at hand with its whole message log, and the handle's close recorded.
 */
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { simHandle } from '../../src/open/open-vf.js';
import type { VfHandle } from '../../src/open/types.js';
import { createSimulatedVf, type SimPf } from '../../src/sim/index.js';
import { Vf } from '../../src/vf/vf.js';

export interface Opened {
  handle: VfHandle;
  pf: SimPf;
  closed: boolean;
}

/**
 * An openVf for `sim` specs that keeps each simulated PF at hand (its message log: every message, not
 * the newest 32) and waits `resetTimeoutMs` for RSTI to clear in a VF reset (default 50 ms: an attempt
 * while the PF is down fails quickly; an hour: it stays in flight).
 */
export function simOpener(resetTimeoutMs = 50): { openVf: OpenVfFn; opened: Opened[] } {
  const opened: Opened[] = [];
  const openVf: OpenVfFn = async (spec, options = {}) => {
    const sim = createSimulatedVf({ spec, historyLimit: Infinity });
    const onTrace = options.onTrace;
    const vf = new Vf({
      regs: sim.regs,
      irqs: sim.irqs,
      family: sim.family,
      interrupts: options.poll !== true,
      simulated: true,
      pfName: 'sim-pf0',
      vfIndex: 0,
      resetTimeoutMs,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(onTrace === undefined
        ? {}
        : { onTrace: (e) => (e.kind === 'tx' ? onTrace({ direction: 'vf-to-pf', words: e.words }) : e.kind === 'rx' ? onTrace({ direction: 'pf-to-vf', words: e.words }) : undefined) }),
    });
    const entry: Opened = { handle: undefined as unknown as VfHandle, pf: sim.pf, closed: false };
    entry.handle = simHandle(spec, sim, vf, 'sim-pf0', () => (entry.closed = true));
    opened.push(entry);
    return entry.handle;
  };
  return { openVf, opened };
}

