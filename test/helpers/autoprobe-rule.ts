/**
 * The PCI core's rule for a VF of a PF whose `sriov_drivers_autoprobe` is 0, added to a FakeSys kernel: such a
 * VF probes only the driver its `driver_override` names (pci_device_can_probe() in drivers/pci/pci-driver.c).
 * A `drivers/<name>/bind` write for another driver fails with ENODEV; a `drivers_probe` write with no
 * override succeeds and binds nothing.
 */
import type { FakeSys } from './fake-sysfs.js';

export function withAutoprobeRule(sys: FakeSys): void {
  const kernel = sys.kernel;
  const write = kernel.write.bind(kernel);
  const override = (addr: string): string => sys.readOverride(addr).trim().replace(/^\(null\)$/, '');
  const ruled = (addr: string): boolean => {
    const pf = sys.spec.devices.find((d) => d.address === addr)?.pf;
    return pf !== undefined && sys.spec.devices.find((d) => d.address === pf)?.sriov?.autoprobe === false;
  };
  kernel.write = async (file: string, data: string): Promise<void> => {
    const bind = /\/bus\/pci\/drivers\/([^/]+)\/bind$/.exec(file);
    const rel = file.slice(sys.sysRoot.length + 1);
    if (ruled(data) && bind !== null && override(data) !== bind[1]) {
      kernel.writes.push({ path: rel, data });
      const err: NodeJS.ErrnoException = new Error(`ENODEV: write ${file}`);
      err.code = 'ENODEV';
      throw err;
    }
    if (ruled(data) && rel === 'bus/pci/drivers_probe' && override(data) === '') {
      kernel.writes.push({ path: rel, data });
      return;
    }
    await write(file, data);
  };
}
