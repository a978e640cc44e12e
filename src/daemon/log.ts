/**
 * Daemon logging: one line per event on stderr; `text` for people, `json` for machines. When stderr is
 * connected to the journal (systemd sets `JOURNAL_STREAM=<dev>:<inode>` of that stream, and it matches
 * stderr's fstat), every line starts with its syslog priority `<N>` as sd-daemon(3) describes, so
 * `journalctl -p warning` filters the daemon's lines, and the text format leaves the time to the journal.
 */
import { fstatSync } from 'node:fs';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

/** sd-daemon(3) priority prefixes: SD_ERR, SD_WARNING, SD_INFO. */
export const JOURNAL_PRIORITY: Readonly<Record<LogLevel, string>> = { error: '<3>', warn: '<4>', info: '<6>' };

/**
 * Whether stderr is the journal's stream: `JOURNAL_STREAM` ("<st_dev>:<st_ino>", decimal) names the very
 * file stderr is (a stderr redirected elsewhere by the admin keeps the variable but not the stream).
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env, fd = 2): boolean {
  const value = env['JOURNAL_STREAM'];
  const m = value === undefined ? null : /^(\d+):(\d+)$/.exec(value);
  if (m === null) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(m[1]!) && st.ino === BigInt(m[2]!);
  } catch {
    return false;
  }
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/** `fields` itself when no value is undefined (the common case), else a copy without those keys. */
function withoutUndefined(fields: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(fields)) {
    if (fields[key] === undefined) return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  }
  return fields;
}

export interface LoggerOptions {
  now?: () => Date;
  /** Prefix lines with `<N>` priorities and leave the time to the journal (default: stderrIsJournal()). */
  journal?: boolean;
}

export function createLogger(format: LogFormat, write: (line: string) => void, options: LoggerOptions | (() => Date) = {}): Logger {
  const opts: LoggerOptions = typeof options === 'function' ? { now: options } : options;
  const now = opts.now ?? (() => new Date());
  const journal = opts.journal ?? stderrIsJournal();
  return {
    log(level, event, fields = {}) {
      const prefix = journal ? JOURNAL_PRIORITY[level] : '';
      if (format === 'json') {
        const time = now().toISOString();
        write(`${prefix}${JSON.stringify({ time, level, event, ...withoutUndefined(fields) })}\n`);
      } else {
        // One pass over the fields (this runs for every audited request). A value with a newline is
        // JSON-quoted (textValue), so one event is always one journal entry. The journal keeps the time
        // itself: no Date is made for a line that would not show it.
        let line = `${prefix}${journal ? '' : `${now().toISOString()} `}${level.padEnd(5)} ${event}`;
        for (const key of Object.keys(fields)) {
          const v = fields[key];
          if (v !== undefined) line += ` ${key}=${textValue(v)}`;
        }
        write(`${line}\n`);
      }
    },
  };
}

export const silentLogger: Logger = { log: () => undefined };
