/** Shared setup for mailbox tests: fake hardware + scripted PF + Mailbox on a virtual clock. */
import { familyByModel } from '../../src/hw/index.js';
import type { FamilyDescriptor } from '../../src/hw/family.js';
import { Mailbox, type MailboxOptions } from '../../src/mbx/mailbox.js';
import type { MailboxTraceEvent } from '../../src/mbx/trace.js';
import { VirtualClock } from '../../src/sim/clock.js';
import { FakeMailboxHw, ScriptedPf, type PfHandler } from './mbx-fake.js';

export interface MbxRig {
  hw: FakeMailboxHw;
  pf: ScriptedPf;
  clock: VirtualClock;
  mbx: Mailbox;
  trace: MailboxTraceEvent[];
  unsolicited: number[];
  resets: string[];
  family: FamilyDescriptor;
}

export function mbxRig(opts: { family?: FamilyDescriptor; handler?: PfHandler; mailbox?: Partial<MailboxOptions>; cts?: boolean } = {}): MbxRig {
  const family = opts.family ?? familyByModel('82599');
  const hw = new FakeMailboxHw(family);
  const pf = new ScriptedPf(hw, opts.handler);
  pf.cts = opts.cts ?? true;
  const clock = new VirtualClock();
  const trace: MailboxTraceEvent[] = [];
  const unsolicited: number[] = [];
  const resets: string[] = [];
  const mbx = new Mailbox({
    regs: hw,
    family,
    irqs: hw.irqs,
    clock,
    onTrace: (e) => trace.push(e),
    onUnsolicited: (w) => unsolicited.push(w),
    onResetRequired: (r) => resets.push(r),
    ...opts.mailbox,
  });
  return { hw, pf, clock, mbx, trace, unsolicited, resets, family };
}

/** Lets setImmediate-scheduled PF work run. */
export function ticks(n = 5): Promise<void> {
  let p = Promise.resolve();
  for (let i = 0; i < n; i += 1) p = p.then(() => new Promise<void>((r) => setImmediate(r)));
  return p;
}
