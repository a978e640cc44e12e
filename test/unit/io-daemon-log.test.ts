/**
 * The daemon's log lines (src/daemon/log.ts) are byte for byte what they were before the one-pass
 * formatter: every audit line is parsed by people's scripts and the journal. The reference below is the
 * earlier formatter (entries → filter undefined → fromEntries, then map/join); fast-check feeds both the
 * same fields, in text and JSON, with and without the journal prefix.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLogger, JOURNAL_PRIORITY, type LogFormat, type LogLevel } from '../../src/daemon/log.js';

function referenceLine(format: LogFormat, journal: boolean, time: string, level: LogLevel, event: string, fields: Record<string, unknown>): string {
  const textValue = (v: unknown): string => (typeof v === 'string' && /^[\w.:/@+-]+$/.test(v) ? v : JSON.stringify(v));
  const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const prefix = journal ? JOURNAL_PRIORITY[level] : '';
  if (format === 'json') return `${prefix}${JSON.stringify({ time, level, event, ...clean })}\n`;
  const rest = Object.entries(clean)
    .map(([k, v]) => `${k}=${textValue(v)}`)
    .join(' ');
  return `${prefix}${journal ? '' : `${time} `}${level.padEnd(5)} ${event}${rest === '' ? '' : ` ${rest}`}\n`;
}

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.string(),
  fc.constantFrom('02:00:00:00:00:01', 'set-mac', 'two\nlines', 'a b', '0xa0000002', ''),
  fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 3 }),
);
const key = fc.oneof(fc.constantFrom('uid', 'pid', 'op', 'vf', 'mac', 'ok', 'pfReply', 'persisted', 'time', 'level', 'event'), fc.string({ minLength: 1, maxLength: 8 }));

test('log lines are the same as the reference formatter (text and JSON, journal or not, undefined fields dropped)', () => {
  const now = (): Date => new Date('2026-12-05T01:02:03.456Z');
  fc.assert(
    fc.property(
      fc.constantFrom<LogFormat>('text', 'json'),
      fc.boolean(),
      fc.constantFrom<LogLevel>('info', 'warn', 'error'),
      fc.constantFrom('audit', 'ready', 'client-idle-closed'),
      fc.dictionary(key, value, { maxKeys: 8 }),
      (format, journal, level, event, fields) => {
        const out: string[] = [];
        createLogger(format, (l) => out.push(l), { now, journal }).log(level, event, fields);
        assert.deepEqual(out, [referenceLine(format, journal, now().toISOString(), level, event, fields)]);
      },
    ),
    { numRuns: 2000 },
  );
});

test('an audit line as the daemon writes it (text, not the journal)', () => {
  const out: string[] = [];
  const logger = createLogger('text', (l) => out.push(l), { now: () => new Date('2026-12-05T00:00:00.000Z'), journal: false });
  logger.log('info', 'audit', { uid: 0, pid: 42, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:01', ok: true, pfReply: '0xa0000002', persisted: false, code: undefined });
  assert.deepEqual(out, ['2026-12-05T00:00:00.000Z info  audit uid=0 pid=42 op=set-mac vf=sim mac=02:00:00:00:00:01 ok=true pfReply=0xa0000002 persisted=false\n']);
});

test('text lines for the journal do not ask the clock (the journal stamps them); JSON lines always carry the time', () => {
  let calls = 0;
  const now = (): Date => {
    calls += 1;
    return new Date(0);
  };
  createLogger('text', () => undefined, { now, journal: true }).log('info', 'audit', { a: 1 });
  assert.equal(calls, 0);
  createLogger('json', () => undefined, { now, journal: true }).log('info', 'audit', { a: 1 });
  createLogger('text', () => undefined, { now, journal: false }).log('info', 'audit', { a: 1 });
  assert.equal(calls, 2);
});
