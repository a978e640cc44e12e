/**
 * A preload (`node --import`) for the daemon in bench/vm-daemon-split.ts: per request on the control
 * socket, the time (performance.now(), ms) at which it reached each layer, as an object of marks (each
 * set once per request, the first time the layer is entered):
 *   data        the request line's 'data' event on the server's socket
 *   handle      Daemon.handle() (the line is framed, parsed and validated)
 *   change      OwnedVf.change() (a state-changing request; answerRequest has dispatched it)
 *   vfCall      Vf.setMac() (the owned VF's queue let it run)
 *   mailbox     Mailbox.exclusive() (the VF layer's checks and encoding are done)
 *   requestIn   the request's first word in the mailbox (OwnedVf.traced vf-to-pf)
 *   replyOut    the PF's reply copied out (OwnedVf.traced pf-to-vf)
 *   vfCallDone  Vf.setMac()'s promise settled
 *   changeDone  OwnedVf.change()'s promise settled (desired state updated; saved, with a state dir)
 *   write       the reply line written to the socket
 * Bench only: it wraps net.Socket's emit and write and those methods' prototypes in the daemon's process
 * (the dist/ tree of $DAEMON_SPLIT_DIST, default ../dist); written as JSON to $DAEMON_SPLIT_OUT when the
 * process exits.
 */
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const dist = process.env.DAEMON_SPLIT_DIST === undefined ? new URL('../dist/', import.meta.url) : pathToFileURL(`${process.env.DAEMON_SPLIT_DIST}/`);
const load = (path) => import(new URL(path, dist).href);
const { OwnedVf } = await load('daemon/owned.js');
const { Daemon } = await load('daemon/daemon.js');
const { Vf } = await load('vf/vf.js');
const { Mailbox } = await load('mbx/mailbox.js');

/** One object of marks per request, in the order the replies were written. */
const samples = [];
let current = null;
const mark = (name) => {
  if (current !== null && current[name] === undefined) current[name] = performance.now();
};

const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (event, ...args) {
  if (event === 'data' && this.server) current = { data: performance.now() };
  return emit.call(this, event, ...args);
};
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (...args) {
  if (current !== null && this.server) {
    mark('write');
    samples.push(current);
    current = null;
  }
  return write.apply(this, args);
};

/** Marks `entered` when `cls.prototype[method]` is called and `settled` (if given) when its promise settles. */
function observe(cls, method, entered, settled) {
  const original = cls.prototype[method];
  cls.prototype[method] = function (...args) {
    mark(entered);
    const result = original.apply(this, args);
    if (settled !== undefined && typeof result?.then === 'function') result.then(() => mark(settled), () => mark(settled));
    return result;
  };
}
observe(Daemon, 'handle', 'handle');
observe(OwnedVf, 'change', 'change', 'changeDone');
observe(Vf, 'setMac', 'vfCall', 'vfCallDone');
observe(Mailbox, 'exclusive', 'mailbox');
const traced = OwnedVf.prototype.traced;
OwnedVf.prototype.traced = function (direction, words) {
  mark(direction === 'vf-to-pf' ? 'requestIn' : 'replyOut');
  return traced.call(this, direction, words);
};

process.on('exit', () => {
  if (process.env.DAEMON_SPLIT_OUT) writeFileSync(process.env.DAEMON_SPLIT_OUT, JSON.stringify(samples));
});
