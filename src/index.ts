/**
 * ixgbevf-vfio as a library: `openVf(spec)` gives a `VfHandle` whose `vf` speaks the mailbox protocol.
 *
 *   const handle = await openVf('0000:03:10.0');      // or 'sim', 'sim:mac=02:..,trust=off'
 *   await resetAndNegotiate(handle.vf);                 // reset, API, GET_QUEUES: the stock ixgbevf bring-up
 *   await handle.vf.setMac('02:00:00:00:00:01');
 *   await handle.close();                               // vfio-pci resets the VF on release
 */
export { openVf } from './open/open-vf.js';
export type { MailboxTraceEvent, OpenOptions, SimPfControl, SimVfView, VfHandle } from './open/types.js';
export type { LinkInfo, MailboxCounters, QueueInfo, ResetResult, VfApi, VfEvents, XcastModeName } from './vf/types.js';
export { Vf, type VfOptions } from './vf/vf.js';
export type { PfEventCheck } from './vf/options.js';
export { resetAndNegotiate, type BringUpResult } from './vf/bring-up.js';
export * from './errors.js';
export { ApiVersion, apiName, parseApiVersion } from './hw/api.js';
export { messageName, MTU_MIN, MTU_MAX, VLAN_ID_MAX } from './hw/messages.js';
export { PF_KERNEL_GENERATIONS, type PfKernelGeneration } from './hw/pf-kernel.js';
export { familyByModel, newestApiOfPfKernel } from './lookups.js';
export { renderRemedy, renderRemedies, type Remedy, type RemedyTarget } from './vf/nack.js';
export { ALL_FAMILIES, familyByDeviceId, type FamilyDescriptor, type VfModel } from './hw/index.js';
export type { Cancel, Clock, IrqSource, RegisterIo, ReusableTimer } from './io.js';
export { createSimulatedVf, createSimulatedPf, parseSimSpec, VirtualClock } from './sim/index.js';
export { VfioDevice } from './vfio/index.js';
