/**
 * The daemon over a real Unix socket in a temp dir: ownership and CLI routing, re-applying the desired
 * state after a simulated PF reset, --state-dir across restarts, hostile requests, peer checks, shutdown.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { RawConn, startDaemon, tempDir, waitReady, withReadyVf, type Reply } from '../helpers/cli-daemon.js';
import { runCli } from '../helpers/cli-run.js';
import { parseMetricsAddress } from '../../src/daemon/metrics-server.js';
import { getPeerCredentials } from '../../src/daemon/peercred.js';

type EventLine = { id: number; event: { type: string; vf: string; initial?: boolean } };

test('a CLI command on an owned VF goes through the daemon and is persistent', async () => {
  const d = await startDaemon(['sim']);
  const conn = await RawConn.open(d.socket);
  try {
    await waitReady(conn, 'sim');
    const r = await runCli(['set-mac', 'sim', '02:00:00:00:00:01', '--json'], { env: { IXGBEVF_SOCKET: d.socket } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(doc.via, 'daemon');
    assert.equal(doc.persistent, true);
    assert.equal(doc.pfReply, '0xa0000002');
    const human = await runCli(['mtu', 'sim', '1500'], { env: { IXGBEVF_SOCKET: d.socket } });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /through the daemon .*re-applied after every PF reset/);
    assert.doesNotMatch(human.stderr, /no daemon owns/);
    const show = await conn.request<Reply>({ id: 1, op: 'sim', vf: 'sim', action: 'show' });
    assert.equal((show.result!.pf as { mac: string }).mac, '02:00:00:00:00:01');
  } finally {
    conn.close();
    assert.equal(await d.stop(), 0);
  }
});

test('set-mac and a VLAN are re-applied after a simulated PF reset (pf-down, pf-up)', async () => {
  const d = await startDaemon(['sim']);
  await withReadyVf(d, 'sim', async (conn) => {
    assert.equal((await conn.request<Reply>({ id: 1, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:42' })).ok, true);
    assert.equal((await conn.request<Reply>({ id: 2, op: 'vlan', vf: 'sim', action: 'add', vlan: 100 })).ok, true);
    assert.equal((await conn.request<Reply>({ id: 3, op: 'watch', vf: 'sim' })).ok, true);
    assert.equal((await conn.request<Reply>({ id: 4, op: 'sim', vf: 'sim', action: 'pf-down' })).ok, true);
    // The PF reset dropped the VF's filters.
    const down = await conn.request<Reply>({ id: 5, op: 'sim', vf: 'sim', action: 'show' });
    assert.equal((down.result!.pf as { pfUp: boolean }).pfUp, false);
    await conn.waitFor<EventLine>((l) => l.id === 3 && l.event?.type === 'pf-reset');
    await conn.waitFor<EventLine>((l) => l.id === 3 && l.event?.type === 'waiting-for-pf');
    assert.equal((await conn.request<Reply>({ id: 6, op: 'sim', vf: 'sim', action: 'pf-up' })).ok, true);
    await conn.waitFor<EventLine>((l) => l.id === 3 && l.event?.type === 'recovered' && l.event.initial === false);
    const up = await conn.request<Reply>({ id: 7, op: 'sim', vf: 'sim', action: 'show' });
    const pf = up.result!.pf as { mac: string; vlans: number[]; macFilterInstalled?: boolean; cts?: boolean };
    assert.equal(pf.mac, '02:00:00:00:00:42');
    assert.ok(pf.vlans.includes(100), `VLAN 100 re-applied: ${JSON.stringify(pf.vlans)}`);
    if (pf.macFilterInstalled !== undefined) assert.equal(pf.macFilterInstalled, true);
    const status = await conn.request<Reply>({ id: 8, op: 'status' });
    const vf = (status.result!.vfs as { state: string; recoveries: number; desired: { mac: string; vlans: number[] } }[])[0]!;
    assert.equal(vf.state, 'ready');
    assert.equal(vf.recoveries, 1);
    assert.deepEqual(vf.desired, { mac: '02:00:00:00:00:42', mtu: null, vlans: [100], multicast: [], xcast: null });
    assert.match(d.log(), /info  waiting-for-pf .*ERR_PF_IN_RESET/);
    assert.doesNotMatch(d.log(), /recovery-failed/);
    assert.match(d.log(), /recovered vf=sim/);
  });
});

test('a PF NACK through the daemon is an error reply with the trust hint, and is not recorded', async () => {
  const d = await startDaemon(['sim:mac=02:00:00:00:00:aa,trust=off']);
  const spec = 'sim:mac=02:00:00:00:00:aa,trust=off';
  await withReadyVf(d, spec, async (conn) => {
    const r = await runCli(['set-mac', spec, '02:00:00:00:00:01'], { env: { IXGBEVF_SOCKET: d.socket } });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /administrator set MAC 02:00:00:00:00:aa/);
    // On a simulated VF the CLI phrases the fix as the sim action (`ip link set <pf> vf 0 trust on` on hardware).
    assert.match(r.stderr, /fix: (ip link set \S+ vf 0 trust on|ixgbevf sim trust-on)/);
    const status = await conn.request<Reply>({ id: 1, op: 'status' });
    assert.equal((status.result!.vfs as { desired: { mac: string | null } }[])[0]!.desired.mac, null);
  });
});

test('igb: an admin MAC set after the daemon\'s reset (the PF does not tell the VF) still gets the trust/admin hint (found in the rig, e2e test 6)', async () => {
  const spec = 'sim:family=82576';
  const d = await startDaemon([spec]);
  await withReadyVf(d, spec, async (conn) => {
    assert.equal((await conn.request<Reply>({ id: 1, op: 'sim', vf: spec, action: 'admin-mac', mac: '02:ad:00:00:00:01' })).ok, true);
    const r = await runCli(['set-mac', spec, '02:00:00:00:00:66'], { env: { IXGBEVF_SOCKET: d.socket } });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /administrator MAC was set for VF 0 .* since the VF's last reset and the VF is not trusted/);
    assert.match(r.stderr, /fix: (ip -d link show \S+|ixgbevf sim show) shows VF 0's MAC and trust; then (ip link set \S+ vf 0 trust on|ixgbevf sim trust-on)/);
    assert.match(r.stderr, /(vf 0 mac|admin-mac) 02:00:00:00:00:66/);
    const status = await conn.request<Reply>({ id: 2, op: 'status' });
    assert.equal((status.result!.vfs as { state: string }[])[0]!.state, 'ready', 'the daemon keeps the VF');
  });
});

test('--state-dir: the desired state survives a daemon restart and is applied at start', async () => {
  const dir = tempDir();
  const stateDir = path.join(dir, 'state');
  const first = await startDaemon(['sim', '--state-dir', stateDir], { dir });
  let conn = await RawConn.open(first.socket);
  await waitReady(conn, 'sim');
  assert.equal((await conn.request<Reply>({ id: 1, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:77' })).ok, true);
  assert.equal((await conn.request<Reply>({ id: 2, op: 'multicast', vf: 'sim', macs: ['01:00:5e:00:00:01'] })).ok, true);
  conn.close();
  assert.equal(await first.stop(), 0);
  const file = path.join(stateDir, 'sim.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).desired.mac, '02:00:00:00:00:77');

  // A new daemon (and a fresh simulated PF that knows nothing) restores it.
  const second = await startDaemon(['sim', '--state-dir', stateDir], { dir });
  conn = await RawConn.open(second.socket);
  try {
    await waitReady(conn, 'sim');
    const show = await conn.request<Reply>({ id: 3, op: 'sim', vf: 'sim', action: 'show' });
    assert.equal((show.result!.pf as { mac: string }).mac, '02:00:00:00:00:77');
    const status = await conn.request<Reply>({ id: 4, op: 'status' });
    assert.deepEqual((status.result!.vfs as { desired: unknown }[])[0]!.desired, { mac: '02:00:00:00:00:77', mtu: null, vlans: [], multicast: ['01:00:5e:00:00:01'], xcast: null });
    assert.match(second.log(), /state-loaded/);
  } finally {
    conn.close();
    await second.stop();
  }
});

test('a corrupt state file is kept aside (.corrupt-<time>), logged as an error naming it, shown in status, and never overwritten', async () => {
  const dir = tempDir();
  const stateDir = path.join(dir, 'state');
  const { mkdirSync, readdirSync } = await import('node:fs');
  mkdirSync(stateDir, { mode: 0o700 });
  const bad = '{"version":1,"vf":"sim","desired":{"mac":"ff:ff:ff:ff:ff:ff"}}';
  writeFileSync(path.join(stateDir, 'sim.json'), bad);
  const d = await startDaemon(['sim', '--state-dir', stateDir], { dir });
  await withReadyVf(d, 'sim', async (conn) => {
    const aside = readdirSync(stateDir).filter((n) => /^sim\.json\.corrupt-/.test(n));
    assert.equal(aside.length, 1, readdirSync(stateDir).join(' '));
    assert.equal(readFileSync(path.join(stateDir, aside[0]!), 'utf8'), bad, 'the evidence is kept byte for byte');
    assert.match(d.log(), new RegExp(`error state-corrupt vf=sim .*keptAs=\\S*${aside[0]!.replace(/\./g, '\\.')}`));
    const status = await conn.request<Reply>({ id: 1, op: 'status' });
    const problem = (status.result!.vfs as { stateProblem: { kind: string; keptAs: string } }[])[0]!.stateProblem;
    assert.equal(problem.kind, 'corrupt');
    assert.equal(path.basename(problem.keptAs), aside[0]);
    // The next save writes a new sim.json; the kept file is untouched.
    assert.equal((await conn.request<Reply>({ id: 2, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:05' })).result!.persisted, true);
    assert.equal(readFileSync(path.join(stateDir, aside[0]!), 'utf8'), bad);
    assert.equal(JSON.parse(readFileSync(path.join(stateDir, 'sim.json'), 'utf8')).desired.mac, '02:00:00:00:00:05');
  });
});

test('malformed and hostile requests get error replies; the daemon keeps serving', async () => {
  const d = await startDaemon(['sim']);
  const conn = await RawConn.open(d.socket);
  try {
    await waitReady(conn, 'sim');
    const cases: [unknown, RegExp][] = [
      ['not json at all', /not valid JSON/],
      ['[1,2,3]', /must be a JSON object/],
      [{ id: 1, op: 'rm -rf' }, /unknown op/],
      [{ id: 2, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:01', extra: true }, /unknown field "extra"/],
      [{ id: 3, op: 'set-mac', vf: 'sim' }, /needs field "mac"/],
      [{ id: 4, op: 'set-mac', vf: 'sim', mac: 'zz' }, /invalid MAC/],
      [{ id: 5, op: 'vlan', vf: 'sim', action: 'add', vlan: 4096 }, /VLAN id 4096/],
      [{ id: 6, op: 'mtu', vf: 'sim', mtu: 20 }, /MTU 20/],
      [{ id: 7, op: 'mtu', vf: 'sim', mtu: '1500' }, /must be a number/],
      [{ id: 8, op: 'info', vf: '../../etc/passwd' }, /invalid VF/],
      [{ id: 9, op: 'info', vf: '0000:03:10.0' }, /does not own/],
      [{ id: 10, op: 'multicast', vf: 'sim', macs: [{}] }, /array of strings/],
      [{ id: 11, op: 'status', __proto__: 1, constructor: 2 }, /unknown field/],
      [{ id: { nested: true }, op: 'status' }, /field "id"/],
      [{ id: 12, op: 'xcast', vf: 'sim', mode: 'everything' }, /xcast mode/],
      [{ id: 13, op: 'sim', vf: 'sim', action: 'format-disk' }, /unknown sim action/],
    ];
    for (const [req, re] of cases) {
      const raw = typeof req === 'string' ? req : JSON.stringify(req).replace('"__proto__":1', '"__proto__":1');
      conn.send(typeof req === 'string' ? req : raw);
      const reply = await conn.waitFor<Reply>((l) => l.ok === false && re.test(l.error?.message ?? '') );
      assert.equal(reply.ok, false);
    }
    // The JSON text with a literal "__proto__" key (JSON.stringify drops it from object literals).
    conn.send('{"id":20,"op":"status","__proto__":{"admin":true}}');
    const proto = await conn.waitFor<Reply>((l) => l.id === 20);
    assert.equal(proto.ok, false);
    assert.equal(proto.error!.code, 'ERR_BAD_REQUEST');
    const status = await conn.request<Reply>({ id: 21, op: 'status' });
    assert.equal(status.ok, true);
  } finally {
    conn.close();
  }
  // An oversized line: error reply, connection closed, daemon still fine.
  const big = await RawConn.open(d.socket);
  big.send('x'.repeat(70 * 1024));
  const reply = await big.waitFor<Reply>((l) => l.ok === false);
  assert.match(reply.error!.message, /longer than/);
  await big.closed;
  const again = await RawConn.open(d.socket);
  try {
    assert.equal((await again.request<Reply>({ id: 1, op: 'status' })).ok, true);
  } finally {
    again.close();
    assert.equal(await d.stop(), 0);
  }
});

test('a client that keeps its connection open is served past 1 MiB of requests (no lifetime cap), every request answered in order', async () => {
  const d = await startDaemon(['sim']);
  const conn = await RawConn.open(d.socket);
  try {
    // 48 requests of ~30 KiB each (JSON allows the padding): 1.4 MiB over one connection, a few at a time.
    const pad = ' '.repeat(30 * 1024);
    for (let id = 1; id <= 48; id++) {
      conn.send(`{"id":${id},"op":"status"}${pad}`);
      if (id % 4 === 0) assert.equal((await conn.waitFor<Reply>((l) => l.id === id)).ok, true, `request ${id}`);
    }
    const ids = (conn.lines as Reply[]).map((l) => l.id);
    assert.deepEqual(ids, Array.from({ length: 48 }, (_, i) => i + 1));
    assert.equal((await conn.request<Reply>({ id: 49, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:49' })).ok, true);
  } finally {
    conn.close();
    assert.equal(await d.stop(), 0);
  }
});

test('the socket is mode 0600; a stale socket file is replaced; a live one is refused', async () => {
  const d = await startDaemon(['sim']);
  try {
    assert.equal(statSync(d.socket).mode & 0o777, 0o600);
    await assert.rejects(startDaemon(['sim'], { dir: d.dir }), /another daemon is (listening|running or starting)/);
  } finally {
    await d.stop();
  }
  assert.equal(existsSync(d.socket), false, 'stop removes the socket');
  // A stale socket (its listener gone): bind a socket and close it without unlinking.
  const net = await import('node:net');
  const stale = path.join(d.dir, 'ixgbevf.sock');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(stale, r));
  const { unlinkSync, linkSync } = await import('node:fs');
  linkSync(stale, `${stale}.keep`);
  await new Promise<void>((r) => srv.close(() => r()));
  if (!existsSync(stale)) linkSync(`${stale}.keep`, stale);
  unlinkSync(`${stale}.keep`);
  const d2 = await startDaemon(['sim'], { dir: d.dir });
  assert.match(d2.log(), /stale-socket-removed/);
  await d2.stop();
});

test('a peer with another uid is refused', { skip: process.getuid?.() !== 0 ? 'needs root to spawn a client as uid 65534' : false }, async () => {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  // The real SO_PEERCRED path, never the test double.
  const d = await startDaemon(['sim'], { dir, io: { daemon: { peerCredentials: getPeerCredentials } } });
  try {
    chmodSync(d.socket, 0o666); // connectable for everyone: the uid check is what must refuse
    // The client sends nothing: the daemon refuses on connect (a write could race the close: EPIPE).
    const script = `const s=require('net').createConnection(${JSON.stringify(d.socket)});let b='';s.on('data',d=>{b+=d;if(b.includes('\\n'))s.end()});s.on('close',()=>{process.stdout.write(b);});s.on('error',e=>{process.stderr.write('client error '+e.code+'\\n')})`;
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => child.on('close', r));
    const first = JSON.parse(out.split('\n')[0]!) as Reply;
    assert.equal(first.ok, false);
    assert.equal(first.error!.code, 'ERR_PEER_REFUSED');
    assert.match(d.log(), /peer-refused uid=65534/);
  } finally {
    await d.stop();
  }
});

test('--group: the socket is 0660 and owned by the group, and a member of that group is served', { skip: process.getuid?.() !== 0 ? 'needs root to chown the socket and spawn a client as uid 65534' : false }, async () => {
  const dir = tempDir();
  chmodSync(dir, 0o755);
  const d = await startDaemon(['sim', '--group', 'nogroup'], { dir, io: { daemon: { peerCredentials: getPeerCredentials } } });
  try {
    const st = statSync(d.socket);
    assert.equal(st.mode & 0o777, 0o660, 'group read/write, nothing for others');
    assert.equal(st.gid, 65534, 'owned by the group nogroup');
    // uid 65534 is neither root nor the daemon's uid: only its group (nogroup, 65534) lets it in.
    const script = `const s=require('net').createConnection(${JSON.stringify(d.socket)});let b='';s.on('data',d=>{b+=d;if(b.includes('\\n'))s.end()});s.on('connect',()=>s.write('{"id":1,"op":"status"}\\n'));s.on('close',()=>{process.stdout.write(b);});s.on('error',e=>{process.stderr.write('client error '+e.code+'\\n')})`;
    const child = spawn(process.execPath, ['-e', script], { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => child.on('close', r));
    const first = JSON.parse(out.split('\n')[0]!) as Reply;
    assert.equal(first.ok, true, out);
  } finally {
    await d.stop();
  }
});

test('without peer credentials the daemon refuses (fail closed)', async () => {
  const d = await startDaemon(['sim'], { io: { daemon: { peerCredentials: async () => null } } });
  try {
    const conn = await RawConn.open(d.socket);
    conn.send({ id: 1, op: 'status' });
    const r = await conn.waitFor<Reply>(() => true);
    assert.equal(r.error?.code, 'ERR_PEER_UNVERIFIED');
    await conn.closed;
  } finally {
    await d.stop();
  }
});

test('--poll: the daemon notices a PF reset without interrupts and re-applies', async () => {
  const d = await startDaemon(['sim', '--poll']);
  await withReadyVf(d, 'sim', async (conn) => {
    assert.equal((await conn.request<Reply>({ id: 1, op: 'vlan', vf: 'sim', action: 'add', vlan: 7 })).ok, true);
    assert.equal((await conn.request<Reply>({ id: 2, op: 'watch' })).ok, true);
    assert.equal((await conn.request<Reply>({ id: 3, op: 'sim', vf: 'sim', action: 'pf-reset' })).ok, true);
    await conn.waitFor<EventLine>((l) => l.id === 2 && l.event?.type === 'recovered' && l.event.initial === false);
    const show = await conn.request<Reply>({ id: 4, op: 'sim', vf: 'sim', action: 'show' });
    assert.ok((show.result!.pf as { vlans: number[] }).vlans.includes(7));
    assert.match(d.log(), /mode=poll/);
  });
});

test('release-requested: the daemon lets that VF go promptly, logs why, and keeps serving the others', async () => {
  const { testOpenVf } = await import('../helpers/cli-sim.js');
  const release = new Map<string, () => void>();
  const openVf = async (spec: string, opts?: Parameters<typeof testOpenVf>[1]) => {
    const h = await testOpenVf(spec, opts);
    let closed = false;
    return {
      ...h,
      onReleaseRequested: (l: () => void) => {
        release.set(spec, l);
        return () => release.delete(spec);
      },
      close: async () => {
        closed = true;
        await h.close();
      },
      get closedForTest() {
        return closed;
      },
    };
  };
  const d = await startDaemon(['sim', 'sim:api=1.4'], { io: { openVf } });
  await withReadyVf(d, 'sim', async (conn) => {
    await waitReady(conn, 'sim:api=1.4', 9500);
    assert.equal((await conn.request<Reply>({ id: 1, op: 'watch' })).ok, true);
    release.get('sim')!();
    const ev = await conn.waitFor<EventLine & { event: { reason?: string } }>((l) => l.id === 1 && l.event?.type === 'released');
    assert.match(String(ev.event.reason), /kernel asked/);
    assert.equal((d.daemon.vfs.get('sim')!.handle as unknown as { closedForTest: boolean }).closedForTest, true);
    const gone = await conn.request<Reply>({ id: 2, op: 'set-mac', vf: 'sim', mac: '02:00:00:00:00:01' });
    assert.equal(gone.ok, false);
    assert.equal(gone.error!.code, 'ERR_RELEASED');
    assert.equal(gone.error!.exitCode, 7);
    const other = await conn.request<Reply>({ id: 3, op: 'set-mac', vf: 'sim:api=1.4', mac: '02:00:00:00:00:02' });
    assert.equal(other.ok, true);
    assert.match(d.log(), /released vf=sim reason=/);
    // The CLI no longer routes the released VF to the daemon.
    const direct = await runCli(['set-mac', 'sim', '02:00:00:00:00:03', '--json'], { env: { IXGBEVF_SOCKET: d.socket } });
    assert.equal(JSON.parse(direct.stdout).via, 'direct');
  });
});

test('watch through the daemon, the real CLI process: the subscription line, the PF events as they come, SIGINT ends it with exit 0', async () => {
  const { spawnCli } = await import('../helpers/cli-proc.js');
  const d = await startDaemon(['sim']);
  const conn = await RawConn.open(d.socket);
  try {
    await waitReady(conn, 'sim');
    const p = spawnCli(['watch', 'sim', '--json'], { IXGBEVF_SOCKET: d.socket });
    await p.waitFor(/"type":"watching"[^\n]*"via":"daemon"/);
    assert.equal((await conn.request<Reply>({ id: 1, op: 'sim', vf: 'sim', action: 'pf-reset' })).ok, true);
    await p.waitFor(/"type":"recovered"/);
    p.child.kill('SIGINT');
    const r = await p.done;
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; vf: string });
    assert.equal(events[0]!.type, 'watching');
    const types = events.slice(1).map((e) => e.type);
    assert.ok(types.includes('pf-reset') || types.includes('pf-message'), `the reset was seen: ${types.join(',')}`);
    assert.ok(types.includes('recovered'), types.join(','));
    assert.ok(events.every((e) => e.vf === 'sim'));
  } finally {
    conn.close();
    assert.equal(await d.stop(), 0);
  }
});

test('watch through the daemon, the real CLI process: the daemon stopping ends the watch with exit 3 and ERR_DAEMON_CLOSED (not a clean end)', async () => {
  const { spawnCli } = await import('../helpers/cli-proc.js');
  const d = await startDaemon(['sim']);
  let stopped = false;
  try {
    const conn = await RawConn.open(d.socket);
    await waitReady(conn, 'sim');
    conn.close();
    const p = spawnCli(['watch', 'sim', '--json'], { IXGBEVF_SOCKET: d.socket });
    await p.waitFor(/"type":"watching"[^\n]*"via":"daemon"/);
    assert.equal(await d.stop(), 0);
    stopped = true;
    const r = await p.done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { error?: { code: string; message: string; hint: string } };
    assert.equal(last.error?.code, 'ERR_DAEMON_CLOSED');
    assert.match(last.error!.message, /closed the watch of sim/);
    assert.match(last.error!.hint, /ixgbevf watch sim/);
  } finally {
    if (!stopped) await d.stop();
  }
});

test('a --socket path longer than a Unix socket path can be is bad input (exit 2), and leaves no file behind', async () => {
  const base = tempDir();
  const long = path.join(base, `${'x'.repeat(120 - base.length)}.sock`);
  const r = await runCli(['daemon', 'sim', '--socket', long]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /a Unix socket path has at most 107/);
  assert.deepEqual(readdirSync(base).filter((n) => n.includes('.sock')), []);
  assert.throws(() => parseMetricsAddress(long), (e: { code: string; exitCode: number }) => e.code === 'ERR_INVALID_METRICS_ADDRESS' && e.exitCode === 2);
});
