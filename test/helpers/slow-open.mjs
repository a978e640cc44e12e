/**
 * Test-only preload for the real `ixgbevf` binary (`node --import tsx --import test/helpers/slow-open.mjs
 * src/cli/main.ts daemon …`): the daemon's `openVf` becomes test/helpers/slow-open-vf.ts, which opens each
 * VF named in $IXGBEVF_TEST_SLOW_OPEN (JSON: spec → ms) that many ms late, so that a test can land a
 * signal while the daemon is still starting. The swap is swap-open-vf.mjs's resolve hook; no production code knows.
 */
import { swapOpenVf } from './swap-open-vf.mjs';

swapOpenVf(new URL('./slow-open-vf.ts', import.meta.url).href);
