/**
 * Fix commands for bad command-line values. The validators (src/daemon/validate.ts) are shared with the
 * daemon and the library, so their hints describe the value ("give the MTU as a whole number from 68 to
 * 9710"). On the command line the fix can be the command itself: the user's own command line, every
 * option kept, with the bad value replaced by a valid example (`ixgbevf mtu sim 1500 --socket …`), which
 * parses and can be run as it is. A hint that already is an `ixgbevf …` command (a bad PCI address:
 * `ixgbevf list`) is kept.
 */
import type { Command, Option } from 'commander';
import { InvalidArgumentError } from '../errors.js';
import { shellWord } from '../shell-word.js';

/** The command line as the user typed it (commander keeps the program's arguments). */
function rawArgsOf(cmd: Command): readonly string[] {
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
    if (word.startsWith('-') && word !== '-') {
      if (!word.includes('=') && takesValue.has(word)) i++;
      continue;
    }
    at.push(i);
  }
  return at;
}

/** `ixgbevf` and `raw` with the word at `index` replaced by `example`, as one shell line. */
function commandLine(raw: readonly string[], index: number, example: string): string {
  const words = raw.map((w, i) => (i === index ? example : w));
  return ['ixgbevf', ...words].map(shellWord).join(' ');
}

/** `err` with `hint` as its hint, when it is an InvalidArgumentError whose hint is not already a command. */
function withFix(err: unknown, hint: string | null): unknown {
  if (hint === null || !(err instanceof InvalidArgumentError) || err.hint?.startsWith('ixgbevf ') === true) return err;
  return new InvalidArgumentError(err.code, err.message, { hint, details: err.details, ...(err.cause === undefined ? {} : { cause: err.cause }) });
}

/**
 * `parse(value)` for `cmd`'s positional argument number `position` (0 = the first); a bad value's
 * InvalidArgumentError gets the user's command line with `example` in its place as the hint.
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
    const raw = rawArgsOf(cmd);
    const index = raw.findIndex((w) => w === option || w.startsWith(`${option}=`));
    if (index === -1) throw withFix(err, null);
    const words = [...raw];
    if (words[index] === option) {
      if (index + 1 >= words.length) throw withFix(err, null);
      words[index + 1] = example;
    } else {
      words[index] = `${option}=${example}`;
    }
    throw withFix(err, ['ixgbevf', ...words].map(shellWord).join(' '));
  }
}
