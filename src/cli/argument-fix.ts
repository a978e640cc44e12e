/**
 * Fix commands for bad command-line values. The validators (src/daemon/validate.ts) are shared with the
 * daemon and the library, so their hints describe the value ("give the MTU as a whole number from 68 to
 * 9710"). On the command line the fix can be the command itself: the user's own command line, every
 * option kept, with the bad value replaced by a valid example (`ixgbevf mtu sim 1500 --socket …`), which
 * parses and can be run as it is. A hint that already is an `ixgbevf …` command (a bad PCI address:
 * `ixgbevf list`) is kept.
 */
import type { Command, Option } from 'commander';
import { parseTimeoutMs } from '../daemon/validate.js';
import { InvalidArgumentError } from '../errors.js';
import { shellWord } from '../shell-word.js';
import { DEFAULT_SOCKET } from './client.js';

/** The command line as the user typed it (commander keeps the program's arguments). */
export function rawArgsOf(cmd: Command): readonly string[] {
  let root = cmd;
  while (root.parent !== null) root = root.parent;
  return (root as Command & { rawArgs?: string[] }).rawArgs ?? [];
}

/** The options of `cmd` and its parents that take a value (their next word is that value). */
function valueOptions(cmd: Command): Set<string> {
  const names = new Set<string>();
  for (let c: Command | null = cmd; c !== null; c = c.parent) {
    for (const o of c.options as readonly Option[]) {
      if (!o.required && !o.optional) continue;
      if (o.long !== undefined) names.add(o.long);
      if (o.short !== undefined) names.add(o.short);
    }
  }
  return names;
}

/** A word commander takes for a negative number argument, not an option (its `negativeNumberArg`). */
const NEGATIVE_NUMBER = /^-(\d+|\d*\.\d+)(e[+-]?\d+)?$/;

/** Where `cmd`'s positional arguments are in `raw` (indexes), options and their values skipped. */
function positionalIndexes(cmd: Command, raw: readonly string[]): number[] {
  const start = raw.indexOf(cmd.name());
  const takesValue = valueOptions(cmd);
  const at: number[] = [];
  for (let i = start + 1; i < raw.length; i++) {
    const word = raw[i]!;
    if (word === '--') {
      for (let j = i + 1; j < raw.length; j++) at.push(j);
      break;
    }
    // An option, unless a negative number: commander passes those as arguments (no option here is a digit).
    if (word.startsWith('-') && word !== '-' && !NEGATIVE_NUMBER.test(word)) {
      if (!word.includes('=') && takesValue.has(word)) i++;
      continue;
    }
    at.push(i);
  }
  return at;
}

/**
 * Options whose value every fix leaves valid, whichever bad value the error is about: a fix for a bad MTU
 * typed with `--timeout 0` must not fail again on the timeout. Commander keeps the last of a repeated
 * option, so each occurrence is checked (`--timeout 5 --timeout 0`).
 */
const CHECKED_OPTIONS: readonly { option: string; example: string; parse: (value: string) => unknown }[] = [
  { option: '--timeout', example: '1000', parse: parseTimeoutMs },
  { option: '--socket', example: DEFAULT_SOCKET, parse: checkSocketOption },
];

/** A --socket value: a path (an empty one names no socket). Throws InvalidArgumentError ERR_INVALID_ARGUMENT. */
export function checkSocketOption(value: string): string {
  if (value.trim() === '') {
    throw new InvalidArgumentError('ERR_INVALID_ARGUMENT', "--socket needs the path of the daemon's socket, got an empty one", {
      hint: `give the daemon's socket, e.g. --socket ${DEFAULT_SOCKET}, or leave --socket out`,
    });
  }
  return value;
}

/**
 * `words` with each value of `option` (`--opt v` and `--opt=v`, before a `--`) replaced by `fix(value)`,
 * or kept where that is null. `found`: the option occurs; `missingValue`: it is the last word, with no value.
 */
function replaceOptionValues(words: readonly string[], option: string, fix: (value: string) => string | null): { words: string[]; found: boolean; missingValue: boolean } {
  const out = [...words];
  let found = false;
  for (let i = 0; i < out.length; i++) {
    const word = out[i]!;
    if (word === '--') break;
    if (word === option) {
      found = true;
      if (i + 1 >= out.length) return { words: out, found, missingValue: true };
      out[i + 1] = fix(out[i + 1]!) ?? out[i + 1]!;
      i++;
    } else if (word.startsWith(`${option}=`)) {
      found = true;
      const value = fix(word.slice(option.length + 1));
      if (value !== null) out[i] = `${option}=${value}`;
    }
  }
  return { words: out, found, missingValue: false };
}

/** `words` with every bad value of a checked option replaced by its example (`--timeout 0` and `--timeout=0` alike). */
function withValidOptions(words: readonly string[]): string[] {
  return CHECKED_OPTIONS.reduce((out, c) => replaceOptionValues(out, c.option, (value) => (attempt(c.parse, value).ok ? null : c.example)).words, [...words]);
}

/** `ixgbevf` and `words` (checked options made valid, withValidOptions) as one shell line. */
function fixLine(words: readonly string[]): string {
  return ['ixgbevf', ...withValidOptions(words)].map(shellWord).join(' ');
}

/** `ixgbevf` and `raw` with the word at `index` replaced by `example`, as one shell line. */
function commandLine(raw: readonly string[], index: number, example: string): string {
  return fixLine(raw.map((w, i) => (i === index ? example : w)));
}

/**
 * For a command whose first argument is the VF: the user's command line with another VF in its place
 * (every other word kept), so a fix that changes the sim spec is a command that runs. Null for a command
 * without a VF argument, or when the VF cannot be found in the command line.
 */
export function commandOnVf(cmd: Command): ((vf: string) => string) | null {
  if (cmd.registeredArguments[0]?.name() !== 'vf') return null;
  const raw = rawArgsOf(cmd);
  const index = positionalIndexes(cmd, raw)[0];
  if (index === undefined) return null;
  return (vf) => commandLine(raw, index, vf);
}

/** `err` with `hint` as its hint, when it is an InvalidArgumentError whose hint is not already a command (unless `overrideCommand`). */
function withFix(err: unknown, hint: string | null, overrideCommand = false): unknown {
  if (hint === null || !(err instanceof InvalidArgumentError) || (!overrideCommand && err.hint?.startsWith('ixgbevf ') === true)) return err;
  return new InvalidArgumentError(err.code, err.message, { hint, details: err.details, ...(err.cause === undefined ? {} : { cause: err.cause }) });
}

/** One positional argument as typed, a valid example of it, and its parser (which throws on a bad value). */
export interface Positional<T = unknown> {
  value: string;
  example: string;
  parse: (value: string) => T;
}

type Parsed<P extends readonly Positional[]> = { -readonly [K in keyof P]: ReturnType<P[K]['parse']> };

/** `parse(value)`, or the error it threw. */
function attempt(parse: (value: string) => unknown, value: string): { ok: true; value: unknown } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: parse(value) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Parses `cmd`'s positional arguments (in order, the first is number 0) together. A bad one throws its
 * own error (the first bad one's: the VF before the value), whose fix is the user's command line with
 * every bad word replaced so that the whole line is valid: by another word the user typed that belongs
 * there (arguments in the wrong order: `vlan sim 100 add` gives `vlan sim add 100`, `set-mac
 * 02:00:00:00:00:01 sim` gives `set-mac sim 02:00:00:00:00:01`), else by the example (`vlan sim foo bar`
 * gives `vlan sim add 100`, not `vlan sim add bar`). A fix that only replaces values keeps a hint that
 * already is a command (a bad PCI address: `ixgbevf list`); one that moves the user's words replaces it.
 */
export function parseArguments<const P extends readonly Positional[]>(cmd: Command, positionals: P): Parsed<P> {
  const parsed = positionals.map((p) => attempt(p.parse, p.value));
  const firstBad = parsed.find((r) => !r.ok);
  if (firstBad === undefined) return parsed.map((r) => (r as { value: unknown }).value) as Parsed<P>;
  const error = (firstBad as { error: unknown }).error;
  const raw = rawArgsOf(cmd);
  const at = positionalIndexes(cmd, raw);
  const words = [...raw];
  const moved = new Set<number>();
  for (const [i, p] of positionals.entries()) {
    if (parsed[i]!.ok) continue;
    const index = at[i];
    if (index === undefined || raw[index] !== p.value) throw withFix(error, null);
    // A word the user typed in the wrong place (bad where it is, good here), each used once.
    const from = positionals.findIndex((q, j) => j !== i && !parsed[j]!.ok && !moved.has(j) && attempt(p.parse, q.value).ok);
    if (from !== -1) moved.add(from);
    words[index] = from !== -1 ? positionals[from]!.value : p.example;
  }
  throw withFix(error, fixLine(words), moved.size > 0);
}

/**
 * `parse(value)` for `cmd`'s positional argument number `position` (0 = the first); a bad value's
 * InvalidArgumentError gets the user's command line with `example` in its place as the hint. A command
 * with more than one positional argument uses parseArguments(), whose fix is valid as a whole.
 */
export function parseArgument<T>(cmd: Command, position: number, value: string, example: string, parse: (value: string) => T): T {
  try {
    return parse(value);
  } catch (err) {
    const raw = rawArgsOf(cmd);
    const index = positionalIndexes(cmd, raw)[position];
    throw withFix(err, index === undefined || raw[index] !== value ? null : commandLine(raw, index, example));
  }
}

/** `run()`; its InvalidArgumentError `code` (a bad `option` value) gets the user's command line with `example` as that option's value. */
export function parseOption<T>(cmd: Command, option: string, code: string, example: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof InvalidArgumentError) || err.code !== code) throw err;
    // Every occurrence (commander keeps the last one; a fix that kept an earlier bad one would fail again).
    const { words, found, missingValue } = replaceOptionValues(rawArgsOf(cmd), option, () => example);
    if (!found || missingValue) throw withFix(err, null);
    throw withFix(err, fixLine(words));
  }
}
