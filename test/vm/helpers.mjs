// Helpers for the e2e tests that run INSIDE the emulated rig (scripts/vm/test-rig). Not a test file.
// Every wait is a condition polled against a deadline; every process started here is tracked by PID and
// can be stopped by the test that started it (no broad kills).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

export const { PF, PFNET, VF0, VF1, PROJECT } = process.env;
export const inRig = Boolean(PF && VF0 && VF1 && PFNET && PROJECT);
/** The emulated NIC of this boot (scripts/vm/run's IXGBEVF_VM_NIC): 'igb' (82576) or 'ixgbe' (82599). */
export const NIC = process.env.IXGBEVF_VM_NIC || 'igb';
export const skipReason = inRig ? false : 'not inside scripts/vm/run (PF/VF0/VF1/PFNET/PROJECT unset)';
/** Skip reason for a suite written for one NIC: false when it runs here. */
export const skipUnlessNic = (nic) => skipReason || (NIC === nic ? false : `written for the ${nic} PF; this boot has ${NIC} (IXGBEVF_VM_NIC)`);

export const CLI = PROJECT ? join(PROJECT, 'dist/cli/main.js') : '';
export const ZERO_MAC = '00:00:00:00:00:00';

export const dev = (bdf) => join('/sys/bus/pci/devices', bdf);
const linkName = (path) => (existsSync(path) ? basename(readlinkSync(path)) : null);
export const driverOf = (bdf) => linkName(join(dev(bdf), 'driver'));
export const groupOf = (bdf) => linkName(join(dev(bdf), 'iommu_group'));
export const sysAttr = (bdf, name) => readFileSync(join(dev(bdf), name), 'utf8').trim();

/** Runs a command to completion (killed by PID after `timeoutMs`): { code, signal, stdout, stderr, ms }. */
export function exec(cmd, args, { timeoutMs = 60_000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut: signal === 'SIGKILL' && Date.now() - started >= timeoutMs });
    });
  });
}

/** `ixgbevf <args>` (the compiled CLI). */
export function cli(args, opts) {
  return exec(process.execPath, [CLI, ...args], opts);
}

/** `text` parsed as JSON, or null when it is not (the assertion then shows the text). */
export function parseJsonOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** `ixgbevf ... --json` parsed (the document is on stdout also for errors). */
export async function cliJson(args, opts) {
  const r = await cli([...args, '--json'], opts);
  return { ...r, doc: parseJsonOrNull(r.stdout) };
}

/** A failed-assertion message with everything the command said. */
export const show = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''} after ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** Polls `check` (sync or async; truthy = done) every `everyMs` until `timeoutMs`; returns its value or throws. */
export async function waitFor(what, check, { timeoutMs = 15_000, everyMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The PF's view of VF `n` (`ip -j link show $PFNET`, vfinfo_list). */
export async function pfViewOf(n) {
  const r = await exec('ip', ['-j', 'link', 'show', PFNET], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`ip -j link show ${PFNET}: ${show(r)}`);
  const [link] = JSON.parse(r.stdout);
  return (link.vfinfo_list ?? []).find((v) => v.vf === n) ?? null;
}

export async function pfMacOf(n) {
  return (await pfViewOf(n))?.address ?? null;
}

export async function ip(...args) {
  const r = await exec('ip', args, { timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${show(r)}`);
  return r;
}

/** The guest kernel log (dmesg). */
export async function kernelLog() {
  const r = await exec('dmesg', [], { timeoutMs: 10_000 });
  return r.stdout;
}

export const carrierOn = () => readFileSync(`/sys/class/net/${PFNET}/carrier`, 'utf8').trim() === '1';

/**
 * A background process (daemon, --hold) with its output collected line by line. `stop(signal)` sends the
 * signal to this PID only and waits (bounded) for the exit.
 */
export class Background {
  constructor(args, env = {}) {
    this.args = args;
    this.stdout = '';
    this.stderr = '';
    this.exit = null;
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    this.child.stdout.on('data', (d) => (this.stdout += d));
    this.child.stderr.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get alive() {
    return this.exit === null;
  }

  /** JSON log lines (daemon --log-format json) on stderr. */
  get logs() {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .filter((x) => x !== null);
  }

  /** Waits for a JSON log line matching `pred` among those after index `from`; returns it. */
  async waitLog(what, pred, { from = 0, timeoutMs = 20_000 } = {}) {
    try {
      return await waitFor(`daemon log: ${what}`, () => {
        if (!this.alive) throw new Error(`the process exited (${JSON.stringify(this.exit)})`);
        return this.logs.slice(from).find(pred);
      }, { timeoutMs });
    } catch (err) {
      throw new Error(`${err.message}\n--- its stderr (last 3000 chars)\n${this.stderr.slice(-3000)}`);
    }
  }

  async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
    if (!this.alive) return this.exit;
    this.child.kill(signal);
    const timer = new Promise((r) => setTimeout(r, timeoutMs, 'timeout'));
    const res = await Promise.race([this.exited, timer]);
    if (res === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
      throw new Error(`${this.args.join(' ')} (pid ${this.pid}) did not exit within ${timeoutMs} ms of ${signal}; killed`);
    }
    return res;
  }
}

/**
 * `ixgbevf daemon VF0 --socket <socket> --log-format json [extra…]`, once it has logged VF0 ready. A daemon that
 * does not get there is stopped (by its PID) before the error is thrown.
 */
export async function startDaemonOnVf0(socket, extra = []) {
  const daemon = new Background(['daemon', VF0, '--socket', socket, '--log-format', 'json', ...extra]);
  try {
    await daemon.waitLog('ready', (l) => l.event === 'ready' && l.vf === VF0, { timeoutMs: 30_000 });
  } catch (err) {
    await daemon.stop('SIGTERM').catch(() => {});
    throw err;
  }
  return daemon;
}

/** Stops a daemon (SIGTERM) and asserts a clean exit 0. */
export async function stopDaemon(daemon) {
  const exit = await daemon.stop('SIGTERM');
  assert.equal(exit.code, 0, `daemon exit: ${JSON.stringify(exit)}\n${daemon.stderr}`);
}

/**
 * `echo 0 > sriov_numvfs` while `daemon` owns VF0: the write completes within seconds, the VFs are gone,
 * and the daemon logs VF0 released and keeps running. `t` gets the time the write took.
 */
export async function removeVfsUnderDaemon(t, daemon, note = '') {
  const from = daemon.logs.length;
  const r = await exec('bash', ['-c', `echo 0 > /sys/bus/pci/devices/${PF}/sriov_numvfs`], { timeoutMs: 30_000 });
  assert.ok(!r.timedOut, `writing sriov_numvfs=0 hung: ${show(r)}\ndaemon:\n${daemon.stderr}`);
  assert.equal(r.code, 0, show(r));
  t.diagnostic(`echo 0 > sriov_numvfs took ${r.ms} ms${note}`);
  assert.ok(r.ms < 15_000, `sriov_numvfs=0 took ${r.ms} ms`);
  assert.equal(sysAttr(PF, 'sriov_numvfs'), '0');
  assert.ok(!existsSync(dev(VF0)), 'VF0 is gone');
  await daemon.waitLog('released', (l) => l.event === 'released' && l.vf === VF0, { from, timeoutMs: 10_000 });
  assert.ok(daemon.alive, 'daemon still running');
}
