/**
 * The `--json` contract of docs/cli.md ("Errors and exit codes") as assertions, for the json-probe-*
 * tests: stdout is exactly one JSON document; an error document has a stable code, a one-line message,
 * the process's exit code and a hint whose `ixgbevf …` commands parse (commander, parse only).
 */
import assert from 'node:assert/strict';
import { run } from '../../src/cli/program.js';
import type { CliResult } from './cli-run.js';

/** `ixgbevf …` commands in a hint (cut where hints separate a command from prose, as cli-hints.test.ts does). */
export function commandsIn(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s(:`])ixgbevf ([a-z-][^;`\n]*?)(?=\s{3}|;|`|\s\(|\)|: |, or |, then |\s[#|>]|\n|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) out.push(m[1]!.trim().replace(/[.,]$/, ''));
  return out;
}

/** The exit code of `ixgbevf <cmd>` parsed only (0: commander takes it). */
export async function parseOnly(cmd: string): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const argv = cmd.split(/\s+/).filter((a) => a !== '');
  const code = await run(argv, { stdout: () => undefined, stderr: (s) => void (stderr += s), env: {}, signal: new AbortController().signal, parseOnly: true });
  return { code, stderr };
}

/** Asserts the `--json` contract on one result and returns the document. */
export async function oneDocument(r: CliResult, what: string): Promise<Record<string, unknown>> {
  assert.ok(r.stdout.endsWith('\n'), `${what}: stdout ends with a newline: ${JSON.stringify(r.stdout)}`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    assert.fail(`${what}: stdout is not one JSON document: ${JSON.stringify(r.stdout.slice(0, 400))}`);
  }
  const error = doc['error'] as { code?: unknown; message?: unknown; hint?: unknown; exitCode?: unknown } | undefined;
  if (error === undefined) {
    assert.equal(r.code, 0, `${what}: a result document with exit ${r.code}`);
    return doc;
  }
  assert.match(String(error.code), /^ERR_[A-Z0-9_]+$/, `${what}: code`);
  assert.equal(typeof error.message, 'string', `${what}: message`);
  assert.doesNotMatch(String(error.message), /\n/, `${what}: the message is one line: ${JSON.stringify(error.message)}`);
  assert.equal(error.exitCode, r.code, `${what}: exitCode in the document is the process's`);
  assert.notEqual(r.code, 0, `${what}: an error exits non-zero`);
  assert.equal(typeof error.hint, 'string', `${what}: a hint`);
  const commands = commandsIn(String(error.hint));
  assert.ok(commands.length > 0, `${what}: the hint names an ixgbevf command: ${JSON.stringify(error.hint)}`);
  for (const c of commands) {
    const p = await parseOnly(c);
    assert.equal(p.code, 0, `${what}: the hint's command parses: ixgbevf ${c}\n${p.stderr}`);
  }
  return doc;
}

