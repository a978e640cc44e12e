/**
 * The `ixgbevf` program as data, read from the commander definitions themselves (commands, arguments,
 * options, descriptions, the help text after each `--help`), so the man page (man-page.ts) and the shell
 * completion scripts (completion.ts) cannot drift from what the program parses. Also the two markers the
 * definitions use for that: the fixed values of an argument, and what kind of value an option takes.
 */
import type { EventEmitter } from 'node:events';
import { Help, type Argument, type Command, type Option } from 'commander';

/** What completion offers for a value. */
export type ValueKind =
  | { kind: 'words'; words: readonly string[] }
  /** PCI addresses of ixgbe/igb VFs found in sysfs; `sim` too when the argument takes the simulated VF. */
  | { kind: 'vf'; sim: boolean }
  | { kind: 'command' }
  | { kind: 'file' }
  | { kind: 'directory' }
  | { kind: 'user' }
  | { kind: 'group' }
  | { kind: 'interface' }
  | { kind: 'none' };

export interface OptionModel {
  /** As declared: `-V, --version`, `--timeout <ms>`. */
  flags: string;
  long: string | null;
  short: string | null;
  /** `ms` of `--timeout <ms>`; null for a flag without a value. */
  placeholder: string | null;
  description: string;
  values: ValueKind;
}

export interface ArgumentModel {
  name: string;
  required: boolean;
  variadic: boolean;
  description: string;
  values: ValueKind;
}

export interface HelpText {
  /** In order: paragraphs of prose (lines joined with spaces) and literal blocks (indented lines, as shown). */
  blocks: ({ prose: string } | { literal: string[] })[];
  /** `ixgbevf …` command lines of the "Examples:" block, comments included. */
  examples: string[];
}

export interface CommandModel {
  name: string;
  description: string;
  /** commander's usage: `[options] <vf> <mac>`. */
  usage: string;
  arguments: ArgumentModel[];
  options: OptionModel[];
  help: HelpText;
}

export interface ProgramModel extends Omit<CommandModel, 'arguments'> {
  version: string;
  commands: CommandModel[];
}

/** Marks an argument's values as a fixed list (help shows them as choices; the command still validates). */
export function withValues(argument: Argument, values: readonly string[]): Argument {
  argument.argChoices = [...values];
  return argument;
}

/** Value kinds by an option's placeholder (`<path>`, `<dir>`, …): the flags name what they take. */
const PLACEHOLDER_KINDS: Readonly<Record<string, ValueKind>> = {
  path: { kind: 'file' },
  dir: { kind: 'directory' },
  user: { kind: 'user' },
  group: { kind: 'group' },
  ifname: { kind: 'interface' },
  spec: { kind: 'vf', sim: true },
  file: { kind: 'file' },
};

function optionValues(option: Option, placeholder: string | null): ValueKind {
  if (option.argChoices !== undefined) return { kind: 'words', words: option.argChoices };
  if (placeholder === null) return { kind: 'none' };
  return PLACEHOLDER_KINDS[placeholder] ?? { kind: 'none' };
}

/**
 * A VF argument is named `vf`/`vfs`; it takes the simulated VF when its description says so (the VF
 * commands' `VF: a PCI address … or sim[…]`), a PCI address only otherwise (bind, unbind, doctor).
 */
function argumentValues(argument: Argument): ValueKind {
  if (argument.argChoices !== undefined) return { kind: 'words', words: argument.argChoices };
  const name = argument.name();
  if (name === 'vf' || name === 'vfs') return { kind: 'vf', sim: /\bsim\b/.test(argument.description) };
  if (name === 'command') return { kind: 'command' };
  return { kind: 'none' };
}

function describeOption(option: Option): OptionModel {
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1]?.replace(/\.\.\.$/, '') ?? null;
  return {
    flags: option.flags,
    long: option.long ?? null,
    short: option.short ?? null,
    placeholder,
    description: option.description,
    values: optionValues(option, placeholder),
  };
}

function describeArgument(argument: Argument): ArgumentModel {
  return {
    name: argument.name(),
    required: argument.required,
    variadic: argument.variadic,
    description: argument.description,
    values: argumentValues(argument),
  };
}

/** The text `addHelpText('after', …)` prints after a command's help, split into prose and examples. */
export function afterHelpText(cmd: Command): HelpText {
  let text = '';
  // commander's Command is an EventEmitter (its typings do not say so); addHelpText listens on afterHelp.
  (cmd as unknown as EventEmitter).emit('afterHelp', { error: false, command: cmd, write: (s: string) => void (text += s) });
  const blocks: HelpText['blocks'] = [];
  const examples: string[] = [];
  let inExamples = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const last = blocks.at(-1);
    if (line === '') {
      inExamples = false;
      blocks.push({ prose: '' }); // a paragraph break; empty ones are dropped below
    } else if (line === 'Examples:') {
      inExamples = true;
    } else if (inExamples) {
      examples.push(line.replace(/^\$\s*/, ''));
    } else if (/^\s/.test(raw)) {
      if (last !== undefined && 'literal' in last) last.literal.push(line);
      else blocks.push({ literal: [line] });
    } else if (last !== undefined && 'prose' in last && last.prose !== '') {
      last.prose += ` ${line}`;
    } else {
      blocks.push({ prose: line });
    }
  }
  return { blocks: blocks.filter((b) => !('prose' in b) || b.prose !== ''), examples };
}

function describeCommand(cmd: Command, help: Help): CommandModel {
  return {
    name: cmd.name(),
    description: cmd.description(),
    usage: cmd.usage(),
    arguments: cmd.registeredArguments.map(describeArgument),
    options: help.visibleOptions(cmd).map(describeOption),
    help: afterHelpText(cmd),
  };
}

/** The whole program: its own options and help, and every visible command (hidden ones are internal). */
export function describeProgram(program: Command): ProgramModel {
  const help = new Help();
  return {
    ...describeCommand(program, help),
    version: program.version() ?? '',
    commands: help.visibleCommands(program).map((c) => describeCommand(c, help)),
  };
}
