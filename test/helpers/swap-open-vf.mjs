/**
 * For test-only preloads of the real `ixgbevf` binary (slow-open.mjs, smoke-hold.mjs): a module resolve
 * hook that gives every importer of src/open/open-vf.ts the test's `wrapper` module instead (the wrapper
 * itself still gets the real one). No production code knows.
 */
import { register } from 'node:module';

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

/** Swaps src/open/open-vf.ts for `wrapper` (a file URL) in this process. */
export function swapOpenVf(wrapper) {
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { parentURL: import.meta.url, data: { wrapper } });
}
