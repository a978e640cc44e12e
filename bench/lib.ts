/**
 * Shared by every benchmark part: the result line, statistics, a child-process runner and the table.
 * A part is a script that prints its results as one JSON line (`BENCH_RESULTS <json>`) on stdout, so
 * that each measures in a fresh process (no JIT, GC or RSS left over from another part).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(BENCH_DIR, '..');

/** One measured quantity: what, the unit, how many runs, min/median/max (plus optional percentiles). */
export interface Result {
  part: number;
  name: string;
  unit: string;
  runs: number;
  min: number;
  median: number;
  max: number;
  p90?: number;
  p99?: number;
  /** Free text: how it was measured, what the runs are. */
  note?: string;
}

/** A goal from the issue, judged from the results. */
export interface Goal {
  part: number;
  goal: string;
  met: boolean | null;
  measured: string;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function stats(
  part: number,
  name: string,
  unit: string,
  samples: readonly number[],
  extra: { percentiles?: boolean; note?: string } = {},
): Result {
  const s = [...samples].sort((a, b) => a - b);
  const r: Result = { part, name, unit, runs: s.length, min: s[0] ?? NaN, median: quantile(s, 0.5), max: s[s.length - 1] ?? NaN };
  if (extra.percentiles === true) {
    r.p90 = quantile(s, 0.9);
    r.p99 = quantile(s, 0.99);
  }
  if (extra.note !== undefined) r.note = extra.note;
  return r;
}

/** A single number (one run). */
export function single(part: number, name: string, unit: string, value: number, note?: string): Result {
  return { part, name, unit, runs: 1, min: value, median: value, max: value, ...(note === undefined ? {} : { note }) };
}

export function median(samples: readonly number[]): number {
  return quantile([...samples].sort((a, b) => a - b), 0.5);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How a part hands its results to run.ts. */
export function emit(results: Result[]): void {
  process.stdout.write(`BENCH_RESULTS ${JSON.stringify(results)}\n`);
}

/** Runs `bench/parts/<file>` in a fresh Node (through tsx) and returns its results. */
export async function runPart(file: string, nodeArgs: string[] = [], args: string[] = []): Promise<Result[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, join(BENCH_DIR, 'parts', file), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULTS '));
  if (code !== 0 || line === undefined) throw new Error(`bench part ${file} failed (exit ${code})\n${out}`);
  return JSON.parse(line.slice('BENCH_RESULTS '.length)) as Result[];
}

function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '';
  const a = Math.abs(n);
  if (a === 0) return '0';
  if (a >= 1000) return n.toFixed(0);
  if (a >= 100) return n.toFixed(1);
  if (a >= 10) return n.toFixed(2);
  if (a >= 0.01) return n.toFixed(3);
  return n.toPrecision(2);
}

/** A Markdown table (also what the terminal gets: readable as is). */
export function table(results: readonly Result[]): string {
  const head = ['part', 'measured', 'unit', 'runs', 'min', 'median', 'max', 'p90', 'p99'];
  const rows = results.map((r) => [String(r.part), r.name, r.unit, String(r.runs), fmt(r.min), fmt(r.median), fmt(r.max), fmt(r.p90), fmt(r.p99)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i >= 3 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(line)].join('\n');
}

export function goalsTable(goals: readonly Goal[]): string {
  return [
    '| part | goal | met | measured |',
    '|---|---|---|---|',
    ...goals.map((g) => `| ${g.part} | ${g.goal} | ${g.met === null ? 'n/a' : g.met ? 'yes' : '**no**'} | ${g.measured} |`),
  ].join('\n');
}

/** The machine, for the record: cores, CPU model, Node, load average. */
export function machine(): Record<string, unknown> {
  let model = 'unknown';
  try {
    model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  return { cores: os.availableParallelism(), cpu: model, node: process.version, kernel: os.release(), loadavg: os.loadavg().map((l) => Number(l.toFixed(2))) };
}
