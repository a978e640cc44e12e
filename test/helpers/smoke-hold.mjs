/**
 * Test-only preload for the real `ixgbevf` binary (`node --import tsx --import test/helpers/smoke-hold.mjs
 * src/cli/main.ts smoke …`): src/open/open-vf.ts becomes test/helpers/smoke-hold-vf.ts, which (as
 * $IXGBEVF_TEST_SMOKE_HOLD says) holds the simulated PF where a test needs the smoke run to wait, opens a PCI
 * address as a `sim` VF, and lets a fake sysfs tree's simulated kernel take the sysfs writes (--bind). So a
 * test can land a signal in the middle of a check, or of the restore. The swap is swap-open-vf.mjs's
 * resolve hook; no production code knows.
 */
import { swapOpenVf } from './swap-open-vf.mjs';

swapOpenVf(new URL('./smoke-hold-vf.ts', import.meta.url).href);
