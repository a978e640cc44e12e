/**
 * Part 6, in the guest: the stock kernel VF driver's side. Binds VF1 to the NIC's stock VF driver
 * (`igbvf` on the igb rig, `ixgbevf` on the ixgbe rig: `modprobe -d $IXGBEVF_VM_KROOT`, driver_override +
 * drivers_probe, netdev left down), arms ftrace function_graph on its ndo_set_mac_address
 * (`igbvf_set_mac` / `ixgbevf_set_mac`: write SET_MAC_ADDR, wait for the PF's ACK, read the reply) and
 * times `ip link set <netdev> address <mac>` one process per change and in `ip -batch` (many changes, one
 * process: per-change cost without process start-up).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const T = '/sys/kernel/tracing';
const write = (path: string, text: string): void => writeFileSync(path, text);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface KernelVf {
  driver: string;
  netdev: string;
  /** The traced function, or null when ftrace is not available (then only `ip` wall times). */
  traced: string | null;
  currentMac(): string;
  /** Starts collecting ftrace durations (clears the buffer). */
  traceOn(): void;
  /** Stops and returns the traced durations (ms) since traceOn(). */
  traceOff(): number[];
  /** One `ip link set … address` process; wall ms. */
  ipOnce(mac: string): number;
  /** One `ip -batch` process doing every change in `macs`; wall ms of the whole process. */
  ipBatch(macs: readonly string[]): number;
  /** Unbinds VF1 from the stock driver. */
  release(): void;
}

export async function bindStockVf(nic: string, vf1: string, kroot: string, log: (s: string) => void): Promise<KernelVf> {
  const driver = nic === 'ixgbe' ? 'ixgbevf' : 'igbvf';
  const fn = `${driver}_set_mac`;
  execFileSync('/sbin/modprobe', ['-d', kroot, driver]);
  write(`/sys/bus/pci/devices/${vf1}/driver_override`, driver);
  write('/sys/bus/pci/drivers_probe', vf1);
  let netdev = '';
  for (let i = 0; i < 200 && netdev === ''; i++) {
    const dir = `/sys/bus/pci/devices/${vf1}/net`;
    if (existsSync(dir)) netdev = readdirSync(dir)[0] ?? '';
    if (netdev === '') await sleep(100);
  }
  if (netdev === '') throw new Error(`${driver} did not create a netdev for ${vf1}`);
  log(`VF1 ${vf1} is ${netdev} (${driver})`);

  let traced: string | null = null;
  try {
    if (!existsSync(join(T, 'trace'))) execFileSync('/bin/mount', ['-t', 'tracefs', 'nodev', T]);
    const funcs = readFileSync(join(T, 'available_filter_functions'), 'utf8');
    if (new RegExp(`^${fn}\\b`, 'm').test(funcs)) {
      write(join(T, 'tracing_on'), '0');
      write(join(T, 'current_tracer'), 'nop');
      write(join(T, 'set_ftrace_filter'), fn);
      write(join(T, 'current_tracer'), 'function_graph');
      traced = fn;
    } else log(`${fn} is not traceable: kernel side from ip wall time only`);
  } catch (err) {
    log(`no ftrace (${(err as Error).message.split('\n')[0]}): kernel side from ip wall time only`);
  }
  const durations = (): number[] => {
    const text = readFileSync(join(T, 'trace'), 'utf8');
    const out: number[] = [];
    for (const m of text.matchAll(new RegExp(`([\\d.]+) us\\s*\\|\\s*${fn}`, 'g'))) out.push(Number(m[1]) / 1000);
    return out;
  };
  const ip = (args: string[]): number => {
    const t0 = performance.now();
    const r = spawnSync('/sbin/ip', args, { encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    return ms;
  };
  const batchFile = '/tmp/bench-ip-batch';
  return {
    driver,
    netdev,
    traced,
    currentMac: () => readFileSync(`/sys/class/net/${netdev}/address`, 'utf8').trim(),
    traceOn() {
      if (traced === null) return;
      write(join(T, 'trace'), '');
      write(join(T, 'tracing_on'), '1');
    },
    traceOff() {
      if (traced === null) return [];
      write(join(T, 'tracing_on'), '0');
      const d = durations();
      write(join(T, 'trace'), '');
      return d;
    },
    ipOnce: (mac) => ip(['link', 'set', 'dev', netdev, 'address', mac]),
    ipBatch(macs) {
      writeFileSync(batchFile, macs.map((m) => `link set dev ${netdev} address ${m}\n`).join(''));
      return ip(['-batch', batchFile]);
    },
    release() {
      if (traced !== null) write(join(T, 'current_tracer'), 'nop');
      try {
        write(`/sys/bus/pci/devices/${vf1}/driver/unbind`, vf1);
      } catch {
        /* already unbound */
      }
    },
  };
}
