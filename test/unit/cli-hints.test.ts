/**
 * Issue 12 points 2 and 7. Every `ixgbevf …` command a hint or `fix:` line can print must parse: the
 * test extracts them from the sources (every string literal after a `hint:` / `fix:` key anywhere in
 * src/, and every literal in src/cli/ and src/pci/doctor.ts), fills `${…}` with sample values and runs
 * each through the real commander program in parse-only mode. And hints are phrased for the CLI.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { phraseHint } from '../../src/cli/hints.js';
import { run } from '../../src/cli/program.js';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** A sample value for a `${expr}` by what the expression names. */
function sample(expr: string): string {
  const q = expr.indexOf('?');
  const inner = firstLiteral(q === -1 ? expr : expr.slice(q + 1));
  if (inner !== null) return inner; // `${cond ? ` --from ${x}` : ''}` → the non-empty branch
  const e = expr.toLowerCase();
  if (/sock/.test(e)) return '/tmp/x.sock';
  if (/mac/.test(e)) return '02:00:00:00:00:01';
  if (/driver|previous|restore|from\b|\bnow\b/.test(e)) return 'ixgbevf';
  if (/user/.test(e)) return 'alice';
  if (/ifname|netdev/.test(e)) return 'eth0';
  if (/mtu/.test(e)) return '1500';
  if (/action/.test(e)) return 'pf-reset';
  if (/pids?\b/.test(e)) return '1234';
  if (/group/.test(e)) return '20';
  if (/vfindex|\bn\b|index/.test(e)) return '0';
  if (/pfname|\bpf\b/.test(e)) return 'eth0';
  if (/vf|addr|address|spec|\bid\b|sims/.test(e)) return '0000:01:10.0';
  if (/verb/.test(e)) return 'unbind';
  return 'x';
}

/** The first string literal inside an expression, rendered; null when there is none. */
function firstLiteral(expr: string): string | null {
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '`' || c === "'" || c === '"') {
      const lit = readLiteral(expr, i);
      if (lit !== null && lit.text.trim() !== '') return lit.text;
      if (lit !== null) i = lit.end;
    }
  }
  return null;
}

/** Reads the literal starting at `i` (quote char), rendering `${…}` with samples. */
function readLiteral(text: string, i: number): { text: string; end: number } | null {
  const q = text[i]!;
  let out = '';
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j]!;
    if (c === '\\') {
      out += text[j + 1] === 'n' ? '\n' : (text[j + 1] ?? '');
      j++;
    } else if (c === q) {
      return { text: out, end: j };
    } else if (q === '`' && c === '$' && text[j + 1] === '{') {
      let depth = 1;
      let k = j + 2;
      for (; k < text.length && depth > 0; k++) {
        if (text[k] === '{') depth++;
        else if (text[k] === '}') depth--;
        else if (text[k] === '`' || text[k] === "'" || text[k] === '"') {
          const inner = readLiteral(text, k);
          if (inner === null) return null;
          k = inner.end;
        }
      }
      out += sample(text.slice(j + 2, k - 1));
      j = k - 1;
    } else if (q !== '`' && c === '\n') {
      return null;
    } else {
      out += c;
    }
  }
  return null;
}

/** Every literal in `text` (rendered). */
function literals(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      i = text.indexOf('\n', i);
      if (i === -1) break;
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i);
      if (i === -1) break;
    } else if (c === '`' || c === "'" || c === '"') {
      const lit = readLiteral(text, i);
      if (lit === null) continue;
      out.push(lit.text);
      i = lit.end;
    }
  }
  return out;
}

/** Literals that are hints or fix lines: after a `hint:` / `fix:` key, up to the end of the property. */
function hintLiterals(text: string): string[] {
  const out: string[] = [];
  const re = /\b(hint|fix)\s*:\s*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    // The property's expression: up to the next line that ends it (a comma or a closing brace at line end).
    const rest = text.slice(m.index + m[0].length);
    const end = rest.search(/,\s*\n\s*(?:[a-zA-Z]+\s*:|\.\.\.|\}|cause|details)|\n\s*\}\)?[,;)]?\s*\n/);
    out.push(...literals(rest.slice(0, end === -1 ? 400 : end)));
  }
  return out;
}

/** `ixgbevf …` commands in a text, cut at the separators hints use. */
function commandsIn(text: string): string[] {
  const out: string[] = [];
  // A command ends at: three spaces, `;`, a backquote, ` (`, `)`, `: `, `, or`, `, then`, a shell `#`, `|` or `>`.
  const re = /(?:^|[\s(:`])ixgbevf ([a-z][^;`\n]*?)(?=\s{3}|;|`|\s\(|\)|: |, or |, then |\s[#|>]|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const cmd = m[1]!.trim().replace(/[.,]$/, '');
    if (/^(does|driver|itself|VFs?|and|is|or|the|which)\b/.test(cmd)) continue; // prose, not a command
    out.push(`ixgbevf ${cmd}`);
  }
  return out;
}

function hintCommands(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files(src)) {
    const text = readFileSync(file, 'utf8');
    const rel = path.relative(src, file);
    const everyLiteral = rel.startsWith('cli/') || rel === 'pci/doctor.ts';
    for (const lit of everyLiteral ? [...literals(text), ...hintLiterals(text)] : hintLiterals(text)) {
      for (const cmd of commandsIn(lit)) if (!found.has(cmd)) found.set(cmd, rel);
    }
  }
  // The CLI's own rephrasings (hints.ts builds these from parts).
  const target = { vf: 'sim', kind: 'sim', pfName: 'sim-pf0', vfIndex: 0, viaDaemon: true, socket: '/tmp/x.sock' } as const;
  for (const h of ['ip link set sim-pf0 vf 0 trust on', 'ip link set <pf> vf <n> mac 02:00:00:00:00:01', 'ip link set sim-pf0 up', 'ip -d link show sim-pf0', 'reset() then negotiateApi()', 'use xcast mode allmulti', 'read the link from VFLINKS instead (link())']) {
    for (const cmd of commandsIn(phraseHint(h, target))) found.set(cmd, 'cli/hints.ts (phrased)');
    for (const cmd of commandsIn(phraseHint(h, { ...target, kind: 'vfio', pfName: 'eth0', vf: '0000:01:10.0', viaDaemon: false }))) found.set(cmd, 'cli/hints.ts (phrased)');
  }
  return found;
}

async function parses(cmd: string): Promise<{ code: number; stderr: string }> {
  const argv = cmd
    .replace(/^ixgbevf /, '')
    .replace(/<vfs?>/g, 'sim')
    .replace(/<group>/g, 'wheel')
    .replace(/<[a-z-]+>/g, 'x')
    .split(/\s+/)
    .filter((a) => a !== '' && a !== '&');
  let stderr = '';
  const code = await run(argv, {
    stdout: () => undefined,
    stderr: (s) => void (stderr += s),
    env: {},
    signal: new AbortController().signal,
    parseOnly: true,
  });
  return { code, stderr };
}

/** The CLI's own layers (one test) and every other layer (a second test): both must parse. */
const OWNED = (rel: string): boolean => rel.startsWith('cli/') || rel.startsWith('pci/');

async function failuresOf(found: Map<string, string>, mine: boolean): Promise<string[]> {
  const failures: string[] = [];
  for (const [cmd, where] of found) {
    if (OWNED(where) !== mine) continue;
    const r = await parses(cmd);
    if (r.code !== 0) failures.push(`${where}: ${cmd}\n    ${r.stderr.trim()}`);
  }
  return failures;
}

test('every ixgbevf command a hint or fix line of src/cli and src/pci can print parses (commander, parse only)', async () => {
  const found = hintCommands();
  assert.ok(found.size >= 15, `only ${found.size} hint commands found: the extractor is broken`);
  for (const known of ['ixgbevf list', 'ixgbevf bind 0000:01:10.0', 'ixgbevf unbind 0000:01:10.0 --from ixgbevf']) assert.ok(found.has(known), `${known} not extracted`);
  const failures = await failuresOf(found, true);
  assert.deepEqual(failures, [], `hint commands that do not parse:\n${failures.join('\n')}`);
});

test('every ixgbevf command in the hints of the other layers (daemon, vf, mbx, errors …) parses', async () => {
  const failures = await failuresOf(hintCommands(), false);
  assert.deepEqual(failures, [], `hint commands outside src/cli and src/pci that do not parse:\n${failures.join('\n')}`);
});

test('the parse-only check rejects what the old hints said (--restore) and unknown commands', async () => {
  assert.notEqual((await parses('ixgbevf unbind 0000:01:10.0 --restore')).code, 0);
  assert.notEqual((await parses('ixgbevf frob')).code, 0);
  assert.equal((await parses('ixgbevf unbind 0000:01:10.0 --from ixgbevf --driver ixgbevf')).code, 0);
});

test('hints are phrased for the CLI: PF name filled in, library calls become commands, sim never names sim-pf0', () => {
  const hw = { vf: '0000:03:10.0', kind: 'vfio', pfName: 'enp3s0f0', vfIndex: 2, viaDaemon: true };
  assert.equal(phraseHint('ip link set <pf> vf <n> trust on', hw), 'ip link set enp3s0f0 vf 2 trust on');
  assert.equal(phraseHint('on the host: `ip link set <pf-netdev> vf <n> vlan 0`', hw), 'on the host: `ip link set enp3s0f0 vf 2 vlan 0`');
  assert.equal(phraseHint('reset() then negotiateApi()', hw), 'ixgbevf info 0000:03:10.0');
  assert.equal(phraseHint('use xcast mode allmulti', hw), 'ixgbevf xcast 0000:03:10.0 allmulti');
  const simDirect = { vf: 'sim:trust=off', kind: 'sim', pfName: 'sim-pf0', vfIndex: 0, viaDaemon: false };
  for (const h of ['ip link set sim-pf0 mtu 9000 (then retry), or choose a smaller MTU', 'ip link set sim-pf0 vf 0 trust on', 'ip link set <pf> up']) {
    assert.doesNotMatch(phraseHint(h, simDirect), /sim-pf0|<pf>|ip link/, h);
  }
  assert.match(phraseHint('ip link set sim-pf0 mtu 9000 (then retry)', simDirect), /add mtu=9000 to the sim spec/);
  assert.equal(phraseHint('ip link set sim-pf0 vf 0 trust on', { ...simDirect, viaDaemon: true }), 'ixgbevf sim trust-on');
  assert.equal(phraseHint('negotiate the mailbox API after the VF reset (API ≥ 1.1)', { ...simDirect, vf: 'sim:api=1.0' }), 'a simulated PF with API ≥ 1.1: the same command on sim:api=1.1 (or without the api= key)');
  assert.equal(phraseHint('negotiate the mailbox API after the VF reset (API ≥ 1.1)', { ...simDirect, vf: 'sim:api=1.0,trust=on' }), 'a simulated PF with API ≥ 1.1: the same command on sim:trust=on,api=1.1 (or without the api= key)');
  assert.equal(
    phraseHint('negotiate the mailbox API after the VF reset (API ≥ 1.1)', { ...simDirect, vf: 'sim:api=1.0', viaDaemon: true, socket: '/tmp/d.sock' }),
    "stop the daemon, then start it with the simulated PF's api=1.1: ixgbevf daemon sim:api=1.1 --socket /tmp/d.sock",
  );
  assert.match(phraseHint('negotiate the mailbox API after the VF reset (API ≥ 1.1)', hw), /^a PF driver that offers mailbox API ≥ 1\.1 \(the API it agreed to: ixgbevf info 0000:03:10\.0\)$/);
});
