/** Module-loader hooks for signal-at-moment.mjs: the signal goes out when src/cli/program.ts is loaded. */
let target = null;

export function initialize(data) {
  target = data;
}

export async function load(url, context, nextLoad) {
  if (target !== null && /\/src\/cli\/program\.ts$/.test(url)) {
    process.kill(target.pid, target.signal);
    target = null;
  }
  return nextLoad(url, context);
}
