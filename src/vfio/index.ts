/**
 * The VFIO layer's public surface: the VF device over the native addon (BAR0 as RegisterIo, MSI-X as
 * IrqSource, config space, reset, the release request) and the helpers that explain why an open failed.
 */
export { VfioDevice, PCI_COMMAND, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from './device.js';
export type { Bar, ConfigSpace, VfioDeviceEvents, VfioOpenOptions } from './device.js';
export { findGroupHolders, mapOpenError, readIommuGroup } from './errors.js';
export type { GroupHolder, OpenErrorContext } from './errors.js';
