/** PCI IDs (reference §9). */

export const INTEL_VENDOR_ID = 0x8086;

/** ixgbe VF device IDs with a hardware mailbox (reference §9.1). */
export const IxgbeVfDeviceId = {
  '82599': 0x10ed,
  X540: 0x1515,
  X550: 0x1565,
  X550EM_x: 0x15a8,
  X550EM_a: 0x15c5,
  E610: 0x57ad,
} as const;

/** igb VF device IDs (reference §9.2). 0x10CA is also QEMU's emulated 82576 VF. */
export const IgbVfDeviceId = {
  '82576': 0x10ca,
  I350: 0x1520,
} as const;

/** igb PF device ID of the 82576 (QEMU's `-device igb`). */
export const IGB_82576_PF_DEVICE_ID = 0x10c9;

/**
 * Hyper-V VF IDs: these VFs have **no hardware mailbox** (reference §7.5, §9), refused with a clear error.
 * 0x15B4 (X550EM_a HV) and the igb ones are known only from DPDK.
 */
export const HYPERV_VF_DEVICE_IDS: ReadonlySet<number> = new Set([0x152e, 0x1530, 0x1564, 0x15a9, 0x15b4, 0x152d, 0x152f]);

/** E610's Hyper-V variant shares the VF device ID and is told apart by subsystem device 0x00FF (§9.1). */
export const E610_HYPERV_SUBSYSTEM_DEVICE_ID = 0x00ff;
