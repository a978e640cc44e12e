/** A Vf over the simulated device on a virtual clock, with the VF→PF messages and events recorded. */
import { createSimulatedVf, VirtualClock, type SimulatedPfOptions, type SimulatedVf } from '../../src/sim/index.js';
import { Vf, type VfOptions } from '../../src/vf/vf.js';
import type { LinkInfo } from '../../src/vf/types.js';

export interface VfRig {
  sim: SimulatedVf;
  vf: Vf;
  clock: VirtualClock;
  /** Every message the VF wrote (tx trace), in order. */
  tx: number[][];
  rx: number[][];
  pfMessages: number[];
  pfResets: string[];
  links: LinkInfo[];
  /**
   * Watchdog that needs no timer: once the VF has written + read more than this many messages, every
   * further mailbox trace throws, which ends any runaway loop (a microtask loop starves setTimeout
   * guards). Default Infinity.
   */
  trafficLimit: number;
  /** Lets queued microtasks / setImmediate work (PF tasks, events) run. */
  settle(n?: number): Promise<void>;
}

/** Thrown from the trace hook once a rig's `trafficLimit` is exceeded. */
export class RunawayTrafficError extends Error {}

export function vfRig(simOpts: SimulatedPfOptions | string = {}, vfOpts: Partial<VfOptions> = {}): VfRig {
  const clock = new VirtualClock();
  const sim = createSimulatedVf(typeof simOpts === 'string' ? { spec: simOpts, clock } : { clock, ...simOpts });
  const tx: number[][] = [];
  const rx: number[][] = [];
  let rig: VfRig | undefined;
  const vf = new Vf({
    regs: sim.regs,
    irqs: sim.irqs,
    family: sim.family,
    clock,
    onTrace: (e) => {
      if (e.kind === 'tx') tx.push([...e.words]);
      if (e.kind === 'rx') rx.push([...e.words]);
      if (rig !== undefined && tx.length + rx.length > rig.trafficLimit) {
        throw new RunawayTrafficError(`runaway mailbox traffic: ${tx.length} messages written, ${rx.length} read`);
      }
    },
    ...vfOpts,
  });
  const pfMessages: number[] = [];
  const pfResets: string[] = [];
  const links: LinkInfo[] = [];
  vf.on('pf-message', (w) => pfMessages.push(w));
  vf.on('pf-reset', (r) => pfResets.push(r));
  vf.on('link', (l) => links.push(l));
  const settle = async (n = 20): Promise<void> => {
    for (let i = 0; i < n; i += 1) await new Promise<void>((r) => setImmediate(r));
  };
  rig = { sim, vf, clock, tx, rx, pfMessages, pfResets, links, trafficLimit: Infinity, settle };
  return rig;
}

/** reset() + negotiateApi(), clearing the recorded traffic afterwards. */
export async function ready(rig: VfRig): Promise<VfRig> {
  await rig.vf.reset();
  await rig.vf.negotiateApi();
  await rig.settle();
  rig.tx.length = 0;
  rig.rx.length = 0;
  rig.pfMessages.length = 0;
  rig.pfResets.length = 0;
  rig.links.length = 0;
  return rig;
}
