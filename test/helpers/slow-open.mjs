/**
 * Test-only preload for the real `ixgbevf` binary (`node --import tsx --import test/helpers/slow-open.mjs
 * src/cli/main.ts daemon …`): the daemon's `openVf` becomes test/helpers/slow-open-vf.ts, which opens each
 * VF named in $IXGBEVF_TEST_SLOW_OPEN (JSON: spec → ms) that many ms late, so that a test can land a
 * signal while the daemon is still starting. A module resolve hook does the swap; no production code knows.
 */
import { register } from 'node:module';

const wrapper = new URL('./slow-open-vf.ts', import.meta.url).href;
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
