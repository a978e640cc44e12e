/**
 * A `sim` VfHandle for CLI and daemon tests: the real `openVf` (simulated PF, real Vf class), recording
 * every handle it opens so a test can reach the simulated PF of a VF the CLI opened.
 */
import type { OpenVfFn } from '../../src/daemon/daemon.js';
import { openVf } from '../../src/open/open-vf.js';
import type { VfHandle } from '../../src/open/types.js';

/** Every handle opened by the test openVf, so a test can reach the simulated PF of a VF the CLI opened. */
export const opened: VfHandle[] = [];

/** openVf for tests: records every handle in `opened`. */
export const testOpenVf: OpenVfFn = async (spec, options) => {
  const handle = await openVf(spec, options);
  opened.push(handle);
  return handle;
};
