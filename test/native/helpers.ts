import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative, type NativeAddon } from '../../src/native.js';

export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const addon: NativeAddon = loadNative();

export function tempDir(t: { after(fn: () => void): void }, prefix = 'ixgbevf-native-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file of `size` bytes whose 32-bit little-endian word i is `fill(i)`. */
export function wordFile(dir: string, size: number, fill: (i: number) => number = () => 0): string {
  const buf = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) buf.writeUInt32LE(fill(i / 4) >>> 0, i);
  const path = join(dir, `region-${size}-${Math.random().toString(36).slice(2)}.bin`);
  writeFileSync(path, buf);
  return path;
}

/** A fake sysfs tree: devices, their iommu_group links, group member lists and drivers. */
export function fakeSysfs(root: string, devices: { address: string; group?: number; driver?: string; physfnDriver?: string }[]): string {
  for (const d of devices) {
    const devDir = join(root, 'devices/pci0000:00', d.address);
    mkdirSync(devDir, { recursive: true });
    mkdirSync(join(root, 'bus/pci/devices'), { recursive: true });
    symlinkSync(devDir, join(root, 'bus/pci/devices', d.address));
    if (d.driver !== undefined) {
      const drv = join(root, 'bus/pci/drivers', d.driver);
      mkdirSync(drv, { recursive: true });
      symlinkSync(drv, join(devDir, 'driver'));
    }
    if (d.physfnDriver !== undefined) {
      const pf = join(root, 'devices/pci0000:00/pf-of-' + d.address);
      mkdirSync(pf, { recursive: true });
      const drv = join(root, 'bus/pci/drivers', d.physfnDriver);
      mkdirSync(drv, { recursive: true });
      symlinkSync(drv, join(pf, 'driver'));
      symlinkSync(pf, join(devDir, 'physfn'));
    }
    if (d.group !== undefined) {
      const g = join(root, 'kernel/iommu_groups', String(d.group));
      mkdirSync(join(g, 'devices'), { recursive: true });
      symlinkSync(g, join(devDir, 'iommu_group'));
      symlinkSync(devDir, join(g, 'devices', d.address));
    }
  }
  return root;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `source` (an ES module, with `addon` preloaded from the built .node file) in a child Node
 * process. `limitMs` only stops a hung child; it is not a timing assertion.
 */
export function runChild(source: string, limitMs = 15000, nodeArgs: string[] = []): Promise<ChildResult> {
  const prelude =
    `import { createRequire } from 'node:module';\n` +
    `const addon = createRequire(import.meta.url)(${JSON.stringify(join(repoRoot, 'build/Release/ixgbevf_vfio.node'))});\n`;
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', prelude + source], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}
