/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for the daemon's metrics tests: every
 * line is HELP, TYPE, another comment, blank, or a sample `name{label="value",…} value [timestamp]`; label
 * values may only use the escapes \\ \" \n; a family's TYPE comes before its samples and once; a family's
 * samples are contiguous; no series twice; counters never negative; every histogram series has buckets in
 * increasing `le` with non-decreasing counts, a +Inf bucket equal to _count, and a _sum. Throws on the
 * first violation with its line number.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | null;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

function parseValue(text: string, where: string): number {
  // Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any letter case.
  if (/^nan$/i.test(text)) return Number.NaN;
  if (/^\+?inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(text)) return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at `s[i] === '{'`; returns the labels and the index after '}'. */
function parseLabels(s: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i += 1;
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const eq = s.indexOf('=', i);
    if (eq === -1) throw new Error(`${where}: label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label ${name}'s value is not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`${where}: raw newline in a label value`);
      if (c === '\\') {
        const e = s[j + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${e ?? ''} in label ${name}`);
        j += 2;
        continue;
      }
      value += c;
      j += 1;
    }
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') i += 1;
    else if (s[i] !== '}') throw new Error(`${where}: expected ',' or '}' after label ${name}`);
  }
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct !== undefined) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f !== undefined && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: Family | null = null;
  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, n) => {
    const where = `line ${n + 1} (${JSON.stringify(line.slice(0, 80))})`;
    if (line.trim() === '') return;
    const meta = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest = ''] = meta;
      if (!NAME.test(name!)) throw new Error(`${where}: bad metric name`);
      let f = families.get(name!);
      if (f === undefined) {
        if (closed.has(name!)) throw new Error(`${where}: ${name} declared again after its samples`);
        f = { name: name!, type: 'untyped', help: null, samples: [] };
        families.set(name!, f);
      }
      if (f.samples.length > 0) throw new Error(`${where}: ${kind} after ${name}'s samples`);
      if (kind === 'TYPE') {
        if (!(TYPES as readonly string[]).includes(rest)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
        if ((f as Family & { typed?: boolean }).typed === true) throw new Error(`${where}: TYPE twice for ${name}`);
        f.type = rest as MetricType;
        (f as Family & { typed?: boolean }).typed = true;
      } else {
        if (f.help !== null) throw new Error(`${where}: HELP twice for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`${where}: bad escape in HELP`);
        f.help = rest.replace(/\\(\\|n)/g, (_, e: string) => (e === 'n' ? '\n' : '\\'));
      }
      if (current !== null && current !== f) closed.add(current.name);
      current = f;
      return;
    }
    if (line.startsWith('#')) return; // another comment
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (m === null) throw new Error(`${where}: not a sample`);
    const name = m[1]!;
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i, where));
    const rest = line.slice(i);
    const parts = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (parts === null) throw new Error(`${where}: expected ' value [timestamp]' after the name and labels`);
    const value = parseValue(parts[1]!, where);
    const f = familyOf(name, families);
    if (f === undefined || (f as Family & { typed?: boolean }).typed !== true) throw new Error(`${where}: sample of ${name} without a TYPE line before it`);
    if (f !== current) throw new Error(`${where}: ${name} is not contiguous with its family ${f.name}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`${where}: series ${key} twice`);
    series.add(key);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: counter ${name} is ${value}`);
    if (f.type === 'histogram' && name.endsWith('_bucket') && labels['le'] === undefined) throw new Error(`${where}: bucket without le`);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) g.buckets.push([parseValue(le!, `${f.name} le`), s.value]);
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`${f.name}: unexpected sample ${s.name} in a histogram`);
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`${f.name}${key}: _count or _sum missing`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i]![0] > g.buckets[i - 1]![0])) throw new Error(`${f.name}${key}: le not increasing`);
      if (g.buckets[i]![1] < g.buckets[i - 1]![1]) throw new Error(`${f.name}${key}: bucket counts decrease at le=${g.buckets[i]![0]}`);
    }
    const last = g.buckets[g.buckets.length - 1];
    if (last === undefined || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${f.name}${key}: no +Inf bucket`);
    if (last[1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket ${last[1]} ≠ _count ${g.count}`);
  }
}

/** The value of one series (labels must match exactly); undefined if absent. */
export function sampleValue(families: Map<string, Family>, family: string, name: string, labels: Record<string, string>): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return families.get(family)?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}
