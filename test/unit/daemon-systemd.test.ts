/**
 * systemd integration on the real binary: Type=notify readiness through a fake NOTIFY_SOCKET (READY=1 only
 * once every VF's first bring-up has ended — one up, one failed because its PF is down —, STATUS= lines
 * with the summary, STOPPING=1 on SIGTERM — at once, then with the stopping STATUS= — all from the daemon's
 * own pid as NotifyAccess=main requires),
 * and journald priority prefixes when JOURNAL_STREAM names stderr (none when it names another file).
 */
import assert from 'node:assert/strict';
import { openSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/cli-daemon.js';
import { NotifyReceiver, spawnDaemonUnder } from '../helpers/daemon-systemd.js';
import { createLogger, stderrIsJournal } from '../../src/daemon/log.js';

test('Type=notify: STATUS while starting, READY=1 once every VF is up or failed, STOPPING=1 on SIGTERM', { timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  const receiver = await NotifyReceiver.bind(path.join(dir, 'notify.sock'));
  t.after(() => receiver.close());
  const d = spawnDaemonUnder(['sim', 'sim:pf=down', '--socket', path.join(dir, 'd.sock'), '--log-format', 'json'], {
    notifySocket: receiver.socket,
    logFile: path.join(dir, 'stderr.log'),
    journal: true,
  });
  t.after(() => void d.child.kill('SIGKILL'));
  const alive = (): boolean => d.child.exitCode === null && d.child.signalCode === null;

  const ready = await receiver.waitFor((m) => m.data.split('\n').includes('READY=1'), alive, 'READY=1');
  const lines = ready.data.split('\n');
  const status = lines.find((l) => l.startsWith('STATUS='));
  assert.ok(status !== undefined, `READY=1 comes with the summary: ${ready.data}`);
  assert.match(status, /^STATUS=2 VFs: 1 ready, 1 recovering, 0 failed; sim:pf=down: ERR_\w+$/);
  assert.equal(ready.pid, d.child.pid, 'sent by the main process (NotifyAccess=main)');
  // Nothing claimed readiness before both VFs had settled; every datagram before it is a STATUS line.
  const before = receiver.received.slice(0, receiver.received.indexOf(ready));
  assert.ok(before.length >= 1, 'a STATUS while starting');
  for (const m of before) assert.match(m.data, /^STATUS=2 VFs: \d ready, \d recovering, 0 failed(, \d starting)?(; sim:pf=down: ERR_\w+)?$/);
  assert.equal(receiver.received.filter((m) => m.data.includes('READY=1')).length, 1);

  // The daemon's log says the same in the journal's format: every line prefixed with its priority.
  const log = d.log();
  const logLines = log.trimEnd().split('\n');
  for (const l of logLines) assert.match(l, /^<[346]>\{/, `journald priority prefix: ${l}`);
  const ev = logLines.map((l) => ({ prio: l.slice(0, 3), ...(JSON.parse(l.slice(3)) as { event: string; level: string }) }));
  assert.ok(ev.some((e) => e.event === 'ready' && e.prio === '<6>'));
  assert.ok(ev.some((e) => e.event === 'waiting-for-pf' && e.prio === '<6>'));

  const count = receiver.received.length;
  d.child.kill('SIGTERM');
  const exit = await d.exited;
  assert.equal(exit.code, 0, d.log());
  // STOPPING=1 as the signal arrives (main.ts), then the daemon's own with its last STATUS= as it stops.
  const stopping = await receiver.waitFor((m) => m.data.startsWith('STOPPING=1\nSTATUS='), () => true, 'STOPPING=1').catch(() => null);
  const after = receiver.received.slice(receiver.received.findIndex((m, i) => i >= count && m.data.startsWith('STOPPING=1')));
  assert.ok(stopping !== null, `STOPPING=1 after SIGTERM: ${JSON.stringify(after)}`);
  assert.match(stopping.data, /^STOPPING=1\nSTATUS=stopping: 2 VFs: /);
  assert.equal(stopping.pid, d.child.pid);
  assert.equal(after[0]!.data, 'STOPPING=1', `the first thing said after SIGTERM: ${JSON.stringify(after)}`);
  for (const m of after) {
    assert.equal(m.pid, d.child.pid);
    assert.match(m.data, /^STOPPING=1(\n|$)/, 'nothing but STOPPING=1 after it');
  }
});

test('without NOTIFY_SOCKET nothing is sent and the daemon runs; a JOURNAL_STREAM that is not stderr leaves the human format', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const d = spawnDaemonUnder(['sim', '--socket', path.join(dir, 'd.sock')], { logFile: path.join(dir, 'stderr.log'), journal: '1:1' });
  const deadline = Date.now() + 30_000;
  while (!/ ready /.test(d.log()) && Date.now() < deadline && d.child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  d.child.kill('SIGTERM');
  const exit = await d.exited;
  assert.equal(exit.code, 0, d.log());
  const lines = d.log().trimEnd().split('\n');
  assert.ok(lines.some((l) => / info  ready vf=sim /.test(l)), d.log());
  for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\dT[\d:.]+Z (info |warn |error) \S/, `human format: ${l}`);
});

test('stderrIsJournal: only a JOURNAL_STREAM equal to the fd\'s "<dev>:<inode>"', () => {
  const file = path.join(tempDir(), 'journal');
  const fd = openSync(file, 'w');
  try {
    const st = fstatSync(fd);
    assert.equal(stderrIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino}` }, fd), true);
    assert.equal(stderrIsJournal({ JOURNAL_STREAM: `${st.dev}:${st.ino + 1}` }, fd), false);
    assert.equal(stderrIsJournal({ JOURNAL_STREAM: 'garbage' }, fd), false);
    assert.equal(stderrIsJournal({}, fd), false);
  } finally {
    closeSync(fd);
  }
  assert.ok(readFileSync(file, 'utf8') === '');
});

test('journal logger: <3> error, <4> warn, <6> info; text without the time (the journal has it), JSON intact after the prefix', () => {
  const out: string[] = [];
  const now = (): Date => new Date('2026-12-05T00:00:00.000Z');
  const text = createLogger('text', (l) => out.push(l), { now, journal: true });
  text.log('error', 'state-corrupt', { vf: 'sim' });
  text.log('warn', 'reapply-failed', { vf: 'sim', error: 'two\nlines' });
  text.log('info', 'ready', { vf: 'sim' });
  assert.deepEqual(out, ['<3>error state-corrupt vf=sim\n', '<4>warn  reapply-failed vf=sim error="two\\nlines"\n', '<6>info  ready vf=sim\n']);
  out.length = 0;
  createLogger('json', (l) => out.push(l), { now, journal: true }).log('warn', 'x', { a: 1 });
  assert.equal(out[0], '<4>{"time":"2026-12-05T00:00:00.000Z","level":"warn","event":"x","a":1}\n');
  out.length = 0;
  createLogger('text', (l) => out.push(l), { now, journal: false }).log('info', 'ready');
  assert.deepEqual(out, ['2026-12-05T00:00:00.000Z info  ready\n']);
});
