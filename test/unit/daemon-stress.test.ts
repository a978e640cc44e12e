/**
 * The state file under load and kill -9, on the real binary: rounds of a daemon child with --state-dir,
 * many concurrent clients sending state changes, a reader parsing the state file continuously, and
 * kill -9 after a random number of replies. Asserted: the reader never sees a missing (once created),
 * partial or invalid file; after each restart the daemon holds exactly one accepted state — the last one
 * reported `persisted: true`, or a later accepted one — and no temp file is left.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseState, STATE_LOCK_FILE } from '../../src/daemon/state.js';
import { RawConn, tempDir } from '../helpers/cli-daemon.js';
import { DaemonChild } from '../helpers/daemon-child.js';

type Wire = { mac: string | null; mtu: number | null; vlans: number[]; multicast: string[]; xcast: string | null };
type Reply = { id: number; ok: boolean; result?: { persisted?: boolean; revision?: number; desired?: Wire; vfs?: { revision: number; desired: Wire }[] } };

const ROUNDS = 5;
const CLIENTS = 24;

/** Small deterministic PRNG (the seed is printed on failure). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

function randomChange(rand: () => number): Record<string, unknown> {
  const pick = Math.floor(rand() * 5);
  const byte = (): string => Math.floor(rand() * 256).toString(16).padStart(2, '0');
  switch (pick) {
    case 0:
      return { op: 'set-mac', vf: 'sim', mac: `02:00:00:${byte()}:${byte()}:${byte()}` };
    case 1:
      return { op: 'mtu', vf: 'sim', mtu: 1280 + Math.floor(rand() * 220) };
    case 2:
    case 3:
      return { op: 'vlan', vf: 'sim', action: pick === 2 ? 'add' : 'del', vlan: 1 + Math.floor(rand() * 8) };
    default:
      return { op: 'multicast', vf: 'sim', macs: rand() < 0.5 ? [] : [`01:00:5e:00:00:${byte()}`] };
  }
}

/** Reads the state file as fast as the loop allows; counts any read that is not a complete valid state. */
function startReader(file: string): { stop(): { reads: number; bad: string[] } } {
  let reads = 0;
  let existed = false;
  const bad: string[] = [];
  let running = true;
  const loop = (): void => {
    if (!running) return;
    try {
      const text = readFileSync(file, 'utf8');
      existed = true;
      reads += 1;
      const doc = JSON.parse(text) as { version: number; vf: string; revision: number; desired: unknown };
      if (doc.version !== 1 || doc.vf !== 'sim' || !Number.isSafeInteger(doc.revision)) throw new Error(`bad header ${text.slice(0, 80)}`);
      parseState(doc.desired);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!(code === 'ENOENT' && !existed)) bad.push(`${code ?? ''} ${(err as Error).message}`.slice(0, 200));
    }
    setImmediate(loop);
  };
  loop();
  return {
    stop() {
      running = false;
      return { reads, bad };
    },
  };
}

test(`stress: ${ROUNDS} rounds × ${CLIENTS} concurrent clients of state changes, kill -9 at random moments; no reader ever sees a partial file; the restarted daemon holds an accepted state ≥ the last persisted one`, { timeout: 120_000 }, async (t) => {
  const seed = Number(process.env.IXGBEVF_STRESS_SEED ?? Date.now() % 1_000_000);
  const rand = rng(seed);
  const dir = tempDir();
  const socket = path.join(dir, 'd.sock');
  const stateDir = path.join(dir, 'state');
  const file = path.join(stateDir, 'sim.json');
  const reader = startReader(file);
  /** Every accepted state seen in a reply, by revision. */
  const accepted = new Map<number, Wire>();
  let lastPersisted = 0;
  let maxSeen = 0;
  let total = 0;
  const note = (msg: string): string => `${msg} (seed ${seed}; IXGBEVF_STRESS_SEED=${seed} repeats it)`;
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const child = new DaemonChild(['sim', '--socket', socket, '--state-dir', stateDir]);
      try {
        await child.waitLog((l) => l.event === 'ready');
        // The restarted daemon: no temp file left, and its state is an accepted one, not older than the last persisted.
        assert.deepEqual(readdirSync(stateDir).filter((n) => n !== 'sim.json' && n !== STATE_LOCK_FILE), [], note('temp files left after restart'));
        const probe = await RawConn.open(socket);
        const status = await probe.request<Reply>({ id: 1, op: 'status' });
        probe.close();
        const vf = status.result!.vfs![0]!;
        if (round > 0) {
          assert.ok(vf.revision >= lastPersisted, note(`restored revision ${vf.revision} is older than the last persisted ${lastPersisted}`));
          const known = accepted.get(vf.revision);
          if (known !== undefined) assert.deepEqual(vf.desired, known, note(`restored state of revision ${vf.revision} differs from the accepted one`));
          else assert.ok(vf.revision > maxSeen && vf.revision <= maxSeen + CLIENTS, note(`revision ${vf.revision} was never accepted (seen up to ${maxSeen}, ${CLIENTS} in flight at most)`));
          // Later revisions (replies lost to the kill but not persisted) are forgotten: the history continues from here.
          for (const r of [...accepted.keys()]) if (r > vf.revision) accepted.delete(r);
          accepted.set(vf.revision, vf.desired);
          maxSeen = vf.revision;
          lastPersisted = vf.revision;
        }
        if (round === ROUNDS) break;
        // Kill after a random number of replies (a random moment in the stream of commits).
        const killAfter = 20 + Math.floor(rand() * 120);
        let replies = 0;
        let killed = false;
        const killedPromise = new Promise<void>((resolve) => {
          const clients = Array.from({ length: CLIENTS }, async (_, c) => {
            const conn = await RawConn.open(socket).catch(() => null);
            if (conn === null) return;
            try {
              for (let i = 0; !killed; i++) {
                const reply = await conn.request<Reply>({ id: i + 1, ...randomChange(rand) }).catch(() => null);
                if (reply === null) return;
                total += 1;
                if (reply.ok && reply.result?.revision != null) {
                  const rev = reply.result.revision;
                  accepted.set(rev, reply.result.desired!);
                  maxSeen = Math.max(maxSeen, rev);
                  if (reply.result.persisted === true) lastPersisted = Math.max(lastPersisted, rev);
                }
                if (++replies === killAfter && !killed) {
                  killed = true;
                  child.kill('SIGKILL');
                  resolve();
                }
              }
            } finally {
              conn.close();
            }
            void c;
          });
          void Promise.all(clients).then(() => resolve());
        });
        await killedPromise;
        const exit = await child.exited;
        assert.equal(exit.signal, 'SIGKILL', note(`round ${round}: the daemon died on its own: ${child.stderr.slice(-2000)}`));
      } finally {
        if (child.alive) {
          child.kill('SIGKILL');
          await child.exited;
        }
      }
    }
  } finally {
    const { reads, bad } = reader.stop();
    assert.deepEqual(bad, [], note(`the reader saw ${bad.length} bad reads out of ${reads + bad.length}`));
    assert.ok(reads > 0, 'the reader read the file');
    t.diagnostic(`seed ${seed}: ${total} replies, ${reads} valid reads of the state file, last persisted revision ${lastPersisted}`);
  }
  assert.ok(total >= 200, `hundreds of state changes: ${total}`);
});
