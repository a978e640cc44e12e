/** Daemon logging: one line per event on stderr; `text` for people, `json` for machines. */

export type LogFormat = 'text' | 'json';
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

export function createLogger(format: LogFormat, write: (line: string) => void, now: () => Date = () => new Date()): Logger {
  return {
    log(level, event, fields = {}) {
      const time = now().toISOString();
      const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      if (format === 'json') {
        write(`${JSON.stringify({ time, level, event, ...clean })}\n`);
      } else {
        const rest = Object.entries(clean)
          .map(([k, v]) => `${k}=${textValue(v)}`)
          .join(' ');
        write(`${time} ${level.padEnd(5)} ${event}${rest === '' ? '' : ` ${rest}`}\n`);
      }
    },
  };
}

export const silentLogger: Logger = { log: () => undefined };
