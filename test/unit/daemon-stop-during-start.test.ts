/**
 * A stop that begins while the daemon is still starting stops it as soon as the current start step ends:
 * no further VF is opened, no `started`, no READY=1; every VF opened so far is closed, the socket removed,
 * the state directory's daemon.lock released. Daemon.start() then resolves 'stopped' (it rejects only when
 * a step itself failed). Three ways in: stop() from code (the in-process Daemon), the CLI's abort (run()
 * with its AbortSignal, as SIGTERM/SIGINT do) and SIGTERM to the real binary (src/cli/main.ts through tsx,
 * with test/helpers/slow-open.mjs opening one VF late) under a fake NOTIFY_SOCKET. Before, start() went on
 * opening the remaining VFs, logged `started` and left the VFs opened after the stop open; the CLI waited
 * for start() to end before it stopped the daemon. No timing: a test opens a VF only when it lets it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { run } from '../../src/cli/program.js';
import { Daemon, type OpenVfFn } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/daemon/log.js';
import type { VfHandle } from '../../src/open/types.js';
import { nativePeerCredentials, tempDir } from '../helpers/cli-daemon.js';
import { testOpenVf } from '../helpers/cli-sim.js';
import { DaemonChild } from '../helpers/daemon-child.js';
import { NotifyReceiver } from '../helpers/daemon-systemd.js';

const A = 'sim:mac=02:00:00:00:00:0a';
const B = 'sim:mac=02:00:00:00:00:0b';
const C = 'sim:mac=02:00:00:00:00:0c';

const peerCredentials = nativePeerCredentials ? {} : { peerCredentials: async () => ({ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() }) };

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * An openVf (sim) that counts opens and closes and holds the open of `held` until release() is called;
 * `began` resolves once that open has begun. `fail`: that spec's open throws (after the hold, if held).
 */
function gatedOpenVf(held: string, fail?: string): { openVf: OpenVfFn; began: Promise<void>; release: () => void; asked: string[]; opened: string[]; closed: string[] } {
  const began = deferred();
  const gate = deferred();
  const asked: string[] = [];
  const opened: string[] = [];
  const closed: string[] = [];
  const openVf: OpenVfFn = async (spec, options) => {
    asked.push(spec);
    if (spec === held) {
      began.resolve();
      await gate.promise;
    }
    if (spec === fail) throw new Error(`test: ${spec} cannot be opened`);
    const h = await testOpenVf(spec, options);
    opened.push(spec);
    let done = false;
    const handle: VfHandle = {
      ...h,
      close: async () => {
        if (!done) closed.push(spec);
        done = true;
        await h.close();
      },
    };
    return handle;
  };
  return { openVf, began: began.promise, release: gate.resolve, asked, opened, closed };
}

function jsonLog(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  return { logger: createLogger('json', (l) => out.push(l), { journal: false }), lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('stop() while a VF is opening: start() resolves "stopped", no VF opened after it, every opened VF closed, socket gone, STOPPING=1 and never READY=1', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const vfs = gatedOpenVf(B);
  const log = jsonLog();
  const sent: string[] = [];
  const daemon = new Daemon({ specs: [A, B, C], socketPath: socket, openVf: vfs.openVf, logger: log.logger, notify: (m) => (sent.push(m), true), ...peerCredentials });
  const starting = daemon.start();
  await vfs.began;
  assert.ok(existsSync(socket), 'the socket is up while B opens');
  const stopping = daemon.stop();
  // STOPPING=1 at once: the notifier exists (muted) from the start of start().
  assert.equal(sent.length, 1, JSON.stringify(sent));
  assert.match(sent[0]!, /^STOPPING=1\nSTATUS=stopping: 1 VF: /);
  vfs.release();
  assert.equal(await starting, 'stopped');
  await stopping;

  assert.deepEqual(vfs.asked, [A, B], 'C was never asked for');
  assert.deepEqual(vfs.opened, [A, B]);
  assert.deepEqual([...vfs.closed].sort(), [A, B].sort(), 'every VF opened was closed');
  assert.equal(existsSync(socket), false, 'the socket is removed');
  const lines = log.lines();
  assert.equal(lines.some((l) => l.event === 'started'), false, 'no started');
  assert.equal(lines.some((l) => l.event === 'opened' && l.vf === C), false, 'C not opened');
  const stopped = lines.find((l) => l.event === 'stopped');
  assert.equal(stopped?.reason, 'stopped');
  assert.equal(stopped?.started, false, 'the stopped line says it stopped before it was ready');
  assert.equal(stopped?.notOpened, C);
  assert.equal(lines.at(-1)?.event, 'stopped', 'nothing after stopped');
  assert.ok(sent.every((m) => m.startsWith('STOPPING=1') && !/READY=1/.test(m)), `nothing but STOPPING=1: ${JSON.stringify(sent)}`);
  // A stop asked again is the same stop.
  await daemon.stop('again');
  assert.equal(log.lines().filter((l) => l.event === 'stopped').length, 1);
});

test('stop() before start(): start() resolves "stopped" at once and opens nothing', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const vfs = gatedOpenVf('none');
  const log = jsonLog();
  const daemon = new Daemon({ specs: [A], socketPath: socket, openVf: vfs.openVf, logger: log.logger, notify: () => true, ...peerCredentials });
  await daemon.stop();
  assert.equal(await daemon.start(), 'stopped');
  assert.deepEqual(vfs.asked, []);
  assert.equal(existsSync(socket), false);
  assert.equal(log.lines().some((l) => l.event === 'started'), false);
});

test('with --state-dir: a stop during start releases daemon.lock (a second daemon on that state directory starts) and closes every VF', async () => {
  const dir = tempDir();
  const stateDir = path.join(dir, 'state');
  const vfs = gatedOpenVf(B);
  const log = jsonLog();
  const first = new Daemon({ specs: [A, B, C], socketPath: path.join(dir, 'a.sock'), stateDir, openVf: vfs.openVf, logger: log.logger, notify: () => true, ...peerCredentials });
  const starting = first.start();
  await vfs.began;
  const stopping = first.stop('test');
  vfs.release();
  assert.equal(await starting, 'stopped');
  await stopping;
  assert.deepEqual(vfs.opened, [A, B]);
  assert.deepEqual([...vfs.closed].sort(), [A, B].sort());
  assert.equal(existsSync(path.join(dir, 'a.sock')), false);

  const second = new Daemon({ specs: [A, C], socketPath: path.join(dir, 'b.sock'), stateDir, openVf: testOpenVf, logger: jsonLog().logger, notify: () => true, ...peerCredentials });
  try {
    assert.equal(await second.start(), 'started');
  } finally {
    await second.stop();
  }
});

test('a VF that fails to open during a stop: start() rejects with its error after everything is released; stop("start failed") sends STOPPING=1', async () => {
  // The stop during start: the held VF's open then fails.
  {
    const dir = tempDir();
    const socket = path.join(dir, 'd.sock');
    const vfs = gatedOpenVf(B, B);
    const log = jsonLog();
    const daemon = new Daemon({ specs: [A, B, C], socketPath: socket, openVf: vfs.openVf, logger: log.logger, notify: () => true, ...peerCredentials });
    const starting = daemon.start();
    await vfs.began;
    const stopping = daemon.stop('test');
    vfs.release();
    await assert.rejects(starting, /B|cannot be opened/);
    await stopping;
    assert.deepEqual(vfs.closed, [A]);
    assert.equal(existsSync(socket), false);
    assert.equal(log.lines().find((l) => l.event === 'stopped')?.reason, 'test');
  }
  // No stop asked: a failing open stops the daemon ('start failed'), and the service manager hears STOPPING=1.
  {
    const dir = tempDir();
    const socket = path.join(dir, 'd.sock');
    const vfs = gatedOpenVf('none', B);
    const sent: string[] = [];
    const log = jsonLog();
    const daemon = new Daemon({ specs: [A, B, C], socketPath: socket, openVf: vfs.openVf, logger: log.logger, notify: (m) => (sent.push(m), true), ...peerCredentials });
    await assert.rejects(daemon.start(), /cannot be opened/);
    assert.deepEqual(vfs.closed, [A]);
    assert.equal(existsSync(socket), false);
    assert.equal(log.lines().find((l) => l.event === 'stopped')?.reason, 'start failed');
    assert.equal(sent.length, 1, JSON.stringify(sent));
    assert.match(sent[0]!, /^STOPPING=1\nSTATUS=stopping: 1 VF: /);
  }
});

test('the CLI: an abort (SIGTERM/SIGINT) while a VF opens stops the daemon after that open, exit 0, no VF opened after it', async () => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const vfs = gatedOpenVf(B);
  const controller = new AbortController();
  let out = '';
  let onStarted = false;
  const done = run(['daemon', A, B, C, '--socket', socket, '--log-format', 'json'], {
    stdout: (s) => (out += s),
    stderr: (s) => (out += s),
    env: { PATH: process.env.PATH },
    signal: controller.signal,
    openVf: vfs.openVf,
    daemon: { ...peerCredentials, onStarted: () => (onStarted = true) },
  });
  await vfs.began;
  controller.abort();
  vfs.release();
  assert.equal(await done, 0, out);
  const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(vfs.asked, [A, B], out);
  assert.deepEqual([...vfs.closed].sort(), [A, B].sort());
  assert.equal(lines.some((l) => l.event === 'started'), false, out);
  assert.equal(onStarted, false, 'onStarted is for a daemon that started');
  const stopped = lines.find((l) => l.event === 'stopped');
  assert.equal(stopped?.reason, 'signal');
  assert.equal(stopped?.started, false);
  assert.equal(existsSync(socket), false);
});

test('the real binary: SIGTERM while the second of three VFs opens: exit 0, STOPPING=1 and never READY=1, the third never opened, no started, socket removed', { timeout: 60_000 }, async (t) => {
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const receiver = await NotifyReceiver.bind(path.join(dir, 'notify.sock'));
  t.after(() => receiver.close());
  const child = new DaemonChild([A, B, C, '--socket', socket], {
    preload: [new URL('../helpers/slow-open.mjs', import.meta.url).href],
    // B opens 2 s late; C would be opened at once after it.
    env: { NOTIFY_SOCKET: receiver.socket, IXGBEVF_TEST_SLOW_OPEN: JSON.stringify({ [B]: 2000 }) },
  });
  t.after(() => void (child.alive && child.kill('SIGKILL')));
  await child.waitLog((l) => l.event === 'test-slow-open' && l.vf === B);
  assert.ok(child.logs.some((l) => l.event === 'opened' && l.vf === A), child.stderr);
  child.kill('SIGTERM');
  const ended = await child.exited;
  assert.deepEqual(ended, { code: 0, signal: null }, child.stderr);

  const events = child.logs.map((l) => `${String(l.event)}${l.vf === undefined ? '' : ` ${String(l.vf)}`}`);
  assert.equal(events.includes('started'), false, `no started: ${events.join(' | ')}`);
  assert.equal(events.includes(`opened ${C}`), false, `C never opened: ${events.join(' | ')}`);
  for (const vf of [A, B]) {
    if (events.includes(`opened ${vf}`)) assert.ok(events.includes(`closed ${vf}`), `${vf} opened, so closed: ${events.join(' | ')}`);
  }
  const stopped = child.logs.find((l) => l.event === 'stopped');
  assert.equal(stopped?.reason, 'signal', child.stderr);
  assert.equal(stopped?.started, false, 'says it stopped before it was ready');
  assert.equal(existsSync(socket), false, 'socket removed');

  const deadline = Date.now() + 10_000;
  await receiver.waitFor((m) => m.data.split('\n').includes('STOPPING=1'), () => Date.now() < deadline, 'STOPPING=1');
  assert.equal(receiver.received[0]?.data, 'STOPPING=1', JSON.stringify(receiver.received));
  for (const m of receiver.received) {
    assert.equal(m.pid, child.pid);
    assert.doesNotMatch(m.data, /READY=1/, JSON.stringify(receiver.received));
  }
});
