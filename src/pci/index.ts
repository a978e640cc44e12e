/** sysfs/PCI layer: discovery, IOMMU/VFIO state, bind/unbind, `ip -j` parsing, doctor checks. */
export * from './address.js';
export * from './sysfs.js';
export * from './discovery.js';
export * from './iommu.js';
export * from './bind.js';
export * from './users.js';
export * from './iplink.js';
export * from './classify.js';
export * from './doctor.js';
export * from './inventory.js';
