/**
 * Reading a VF register the way every VF read must: 0xFFFFFFFF means the device is gone (surprise removal,
 * or a reset that made the BAR unreadable), reported as a typed DeviceGoneError instead of decoded as data.
 */
import { DeviceGoneError } from '../errors.js';
import { REMOVED_REGISTER_VALUE } from '../hw/mailbox.js';
import type { RegisterIo } from '../io.js';

export function deviceRemoved(offset: number): DeviceGoneError {
  return new DeviceGoneError('ERR_DEVICE_REMOVED', 'the VF reads 0xffffffff: the device was removed or is in reset', {
    hint: 'check `lspci` and the kernel log; the VF must be re-opened',
    details: { offset },
  });
}

/** The register's value; throws DeviceGoneError when it reads all ones. */
export function readRegister(regs: RegisterIo, offset: number): number {
  const value = regs.read32(offset) >>> 0;
  if (value === REMOVED_REGISTER_VALUE) throw deviceRemoved(offset);
  return value;
}
