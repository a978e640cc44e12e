/**
 * Signals in the two short windows of the real executable's life that a Ctrl-C or a service manager's
 * SIGTERM can still hit (test/helpers/signal-at-moment.mjs aims at them from inside the process):
 * - while the CLI's modules load: the handlers are in place first, so the command ends as a later signal
 *   ends it (`smoke --json`: one document, marked interrupted, exit 3), not killed on the spot with no output;
 * - after the command has returned and written its report: the signal is ignored and the process ends with
 *   the command's own code, not 130 after a complete, successful report.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { spawnCli } from '../helpers/cli-proc.js';

const preload = fileURLToPath(new URL('../helpers/signal-at-moment.mjs', import.meta.url));

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} while the CLI loads: smoke --json still prints one document, marked interrupted, exit 3`, async () => {
    const r = await spawnCli(['smoke', 'sim', '--json'], { IXGBEVF_TEST_SIGNAL_AT: 'loading-program', IXGBEVF_TEST_SIGNAL: signal }, ['--import', preload]).done;
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.code, 3, r.stderr);
    const report = JSON.parse(r.stdout) as { interrupted?: unknown; ok?: unknown };
    assert.equal(report.interrupted, true);
    assert.match(r.stderr, /smoke interrupted/);
  });

  test(`${signal} after the command has reported: ignored, the command's exit code (0) and its whole --json result`, async () => {
    const r = await spawnCli(['set-mac', 'sim', '02:00:00:00:00:01', '--json'], { IXGBEVF_TEST_SIGNAL_AT: 'before-exit', IXGBEVF_TEST_SIGNAL: signal }, ['--import', preload]).done;
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { mac: string }).mac, '02:00:00:00:00:01');
  });
}
