/**
 * Test-only preload for the real `ixgbevf` binary (`node --import tsx --import test/helpers/smoke-hold.mjs
 * src/cli/main.ts smoke …`): src/open/open-vf.ts becomes test/helpers/smoke-hold-vf.ts, which (as
 * $IXGBEVF_TEST_SMOKE_HOLD says) holds the simulated PF where a test needs the smoke run to wait, opens a PCI
 * address as a `sim` VF, and lets a fake sysfs tree's simulated kernel take the sysfs writes (--bind). So a
 * test can land a signal in the middle of a check, or of the restore. A module resolve hook does the swap,
 * as test/helpers/slow-open.mjs does; no production code knows.
 */
import { register } from 'node:module';

const wrapper = new URL('./smoke-hold-vf.ts', import.meta.url).href;
const hooks = `
let wrapper;
export function initialize(data) { wrapper = data.wrapper; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const parent = context.parentURL ?? '';
  if (new URL(r.url).pathname.endsWith('/src/open/open-vf.ts') && !parent.startsWith(wrapper)) return { ...r, url: wrapper, shortCircuit: true };
  return r;
}
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { parentURL: import.meta.url, data: { wrapper } });
