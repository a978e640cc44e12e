/**
 * The ixgbevf(1) man page in roff (man macros), rendered from the program model (program-model.ts):
 * every command with its arguments, options, help text and examples, the exit codes (exit-codes.ts).
 * `npm run build` / `prepare` write it to dist/man/ixgbevf.1 (scripts/gen-man.mjs); package.json's
 * `man` field makes `npm install -g` install it. Only ENVIRONMENT, FILES and SEE ALSO are written here.
 */
import { DEFAULT_SOCKET } from './client.js';
import { exitCodesInOrder } from './exit-codes.js';
import type { ArgumentModel, CommandModel, HelpText, OptionModel, ProgramModel, ValueKind } from './program-model.js';

/**
 * Text for a roff text line: backslashes, hyphens (minus signs, so options copy and paste), quotes
 * and every non-ASCII character as escapes; a line that would start with `.` or `'` (a request) gets `\&`.
 */
export function roffText(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\e';
    else if (ch === '-') out += '\\-';
    else if (ch === "'") out += "\\(aq";
    else if (ch === '`') out += '\\(ga';
    else if (cp > 0x7e) out += `\\[u${cp.toString(16).toUpperCase().padStart(4, '0')}]`;
    else if (cp < 0x20) out += ' ';
    else out += ch;
  }
  return /^[.']/.test(out) ? `\\&${out}` : out;
}

const bold = (t: string): string => `\\fB${roffText(t)}\\fR`;
const italic = (t: string): string => `\\fI${roffText(t)}\\fR`;

/** `[options] <vf> [macs...]` with the placeholders in italics. */
function usageLine(usage: string): string {
  return usage
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((token) => {
      const m = /^([<[])([^>\]]+?)(\.\.\.)?([>\]])$/.exec(token);
      if (m === null) return roffText(token);
      const inner = `${italic(m[2]!)}${m[3] === undefined ? '' : '\\&...'}`;
      return m[1] === '[' ? `[${inner}]` : inner;
    })
    .join(' ');
}

/** `-V, --version` / `--timeout <ms>`: flags in bold, the value's placeholder in italics. */
function optionTag(o: OptionModel): string {
  const names = [o.short, o.long].filter((f): f is string => f !== null).map(bold).join(', ');
  return o.placeholder === null ? names : `${names} ${italic(o.placeholder)}`;
}

function helpBlocks(help: HelpText): string[] {
  return help.blocks.flatMap((b) => ('prose' in b ? ['.PP', roffText(b.prose)] : ['.PP', '.RS 4', '.EX', ...b.literal.map(roffText), '.EE', '.RE']));
}

/** A description, and the fixed values when the definition has them (`(one of: add, del)`). */
function described(description: string, values: ValueKind): string {
  return roffText(values.kind === 'words' ? `${description} (one of: ${values.words.join(', ')})` : description);
}

function optionList(options: readonly OptionModel[]): string[] {
  return options.flatMap((o) => ['.TP', optionTag(o), described(o.description, o.values)]);
}

function argumentList(args: readonly ArgumentModel[]): string[] {
  return args.flatMap((a) => ['.TP', `${italic(a.name)}${a.variadic ? '\\&...' : ''}`, described(a.description, a.values)]);
}

function exampleBlock(examples: readonly string[], label: string | null): string[] {
  if (examples.length === 0) return [];
  return ['.PP', ...(label === null ? [] : [roffText(label)]), '.RS 4', '.EX', ...examples.map((e) => roffText(e)), '.EE', '.RE'];
}

function commandSection(name: string, c: CommandModel): string[] {
  return [
    '.SS', `${bold(`${name} ${c.name}`)} ${usageLine(c.usage)}`,
    roffText(c.description),
    ...(c.arguments.length > 0 ? ['.PP', 'Arguments:', '.RS 4', ...argumentList(c.arguments), '.RE'] : []),
    ...(c.options.length > 0 ? ['.PP', 'Options:', '.RS 4', ...optionList(c.options), '.RE'] : []),
    ...helpBlocks(c.help),
    ...exampleBlock(c.help.examples, 'Examples:'),
  ];
}

const ENVIRONMENT: readonly [string, string][] = [
  ['IXGBEVF_SOCKET', `the daemon's control socket when --socket is not given (default ${DEFAULT_SOCKET})`],
  ['NOTIFY_SOCKET', 'set by systemd for a Type=notify service: the daemon reports READY=1, STATUS= and STOPPING=1 there'],
  ['JOURNAL_STREAM', 'set by systemd when stderr is the journal: the daemon prefixes its log lines with journald priorities'],
  ['IXGBEVF_SYSFS_ROOT, IXGBEVF_DEV_ROOT, IXGBEVF_PROC_ROOT', 'for tests: read /sys, /dev and /proc under these directories instead'],
  ['IXGBEVF_ADDON', 'for tests: load the native addon from this file instead of the packaged or built one'],
];

const FILES: readonly [string, string][] = [
  [DEFAULT_SOCKET, 'the control socket the daemon listens on (--socket and $IXGBEVF_SOCKET choose another)'],
  ['/dev/vfio/vfio, /dev/vfio/N', 'the VFIO container and the IOMMU group N a VF belongs to (bind --user makes it usable by a user)'],
  ['/sys/bus/pci/devices/ADDRESS', 'the VF: its IDs, driver, driver_override, physfn and iommu_group (list, doctor, bind, unbind, completion)'],
  ['/var/lib/ixgbevf', 'the usual --state-dir of the daemon: the desired configuration of each VF, restored at start'],
];

/** The whole page. `date` goes into the header (empty: none, which keeps builds reproducible). */
export function renderManPage(model: ProgramModel, date = ''): string {
  const name = model.name;
  const lines: string[] = [
    `.\\" ${name}(1), generated from the program's command definitions by scripts/gen-man.mjs: do not edit.`,
    `.TH ${name.toUpperCase()} 1 "${date}" "ixgbevf-vfio ${model.version}" "User Commands"`,
    '.nr HY 0',
    '.nh',
    '.ad l',
    '.SH NAME',
    `${roffText(name)} \\- ${roffText(model.description)}`,
    '.SH SYNOPSIS',
    `${bold(name)} [${italic('options')}] ${italic('command')} [${italic('command-options')}] [${italic('arguments')}]`,
    ...model.commands.flatMap((c) => ['.br', `${bold(`${name} ${c.name}`)} ${usageLine(c.usage)}`]),
    '.SH DESCRIPTION',
    roffText(model.description),
    ...helpBlocks(model.help),
    '.SH OPTIONS',
    'Options before the command are the program\\(aqs; each must also be one the command takes.',
    ...optionList(model.options),
    '.SH COMMANDS',
    ...model.commands.flatMap((c) => commandSection(name, c)),
    '.SH EXIT STATUS',
    ...exitCodesInOrder().flatMap((e) => ['.TP', bold(String(e.code)), roffText(e.long)]),
    '.SH ENVIRONMENT',
    ...ENVIRONMENT.flatMap(([k, v]) => ['.TP', bold(k), roffText(v)]),
    '.SH FILES',
    ...FILES.flatMap(([k, v]) => ['.TP', italic(k), roffText(v)]),
    '.SH EXAMPLES',
    ...exampleBlock(model.help.examples, null),
    '.PP',
    'Each command\\(aqs own examples are under COMMANDS.',
    '.SH SEE ALSO',
    `${bold('ip-link')}(8), ${bold('driverctl')}(8), ${bold('lspci')}(8), ${bold('systemd.service')}(5)`,
    '.PP',
    roffText('docs/cli.md, docs/hardware.md and README.md in the package.'),
  ];
  return `${lines.join('\n')}\n`;
}
