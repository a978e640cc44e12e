export { VfioDevice, PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from './device.js';
export type { Bar, ConfigSpace, VfioDeviceEvents, VfioOpenOptions } from './device.js';
export { findGroupHolders, listGroupMembers, mapOpenError, readIommuGroup } from './errors.js';
export type { GroupHolder, GroupMember, OpenErrorContext } from './errors.js';
