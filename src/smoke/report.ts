/**
 * Human rendering of a smoke report: one line per check, fixes under failures, what is left changed on the
 * PF, a line when the run was interrupted, the summary line last.
 */
import type { SmokeCheck, SmokeReport, SmokeSummary } from './types.js';

const MARK = { pass: 'pass', fail: 'FAIL', skip: 'skip' } as const;

export function summaryLine(s: SmokeSummary, interrupted = false): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped${interrupted ? ' (interrupted)' : ''}`;
}

export function formatCheckLine(c: SmokeCheck, idWidth = 20): string {
  return `[${MARK[c.status]}] ${c.id.padEnd(idWidth)} ${c.reason}`;
}

export function formatSmokeReport(r: SmokeReport): string[] {
  const head = `ixgbevf smoke ${r.vf}: ${r.model === null ? 'VF not opened' : `${r.model} VF (${r.familyKind})`}` +
    `${r.pf === null ? '' : `, PF ${r.pf}${r.vfIndex === null ? '' : ` vf ${r.vfIndex}`}`}${r.api === null ? '' : `, API ${r.api}`}, ${r.mode}`;
  const width = Math.max(...r.checks.map((c) => c.id.length));
  const lines = [head];
  let group = '';
  for (const c of r.checks) {
    if (c.group !== group) {
      group = c.group;
      lines.push(`${group}:`);
    }
    lines.push(`  ${formatCheckLine(c, width)}`);
    if (c.status === 'fail' && c.hint !== undefined) lines.push(`  ${' '.repeat(7 + width)} fix: ${c.hint}`);
  }
  if (r.summary.failed > 0) lines.push('a check failed: send the --json output and the PF\'s kernel log (dmesg) with the report (docs/hardware.md)');
  for (const c of r.leftChanged) {
    lines.push(`left changed on the PF: ${c.what} ${c.now ?? 'none'} (was ${c.before ?? 'none'}); restore: ${c.restore}`);
  }
  if (r.interrupted === true) {
    lines.push('interrupted (Ctrl-C / SIGTERM): the checks left were skipped; the release steps ran (ERR_INTERRUPTED)');
  }
  lines.push(summaryLine(r.summary, r.interrupted === true));
  return lines;
}
