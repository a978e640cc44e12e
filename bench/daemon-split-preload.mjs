/**
 * A preload (`node --import`) for the daemon in bench/vm-daemon-split.ts: per request on the control
 * socket, the times from the request's 'data' event to the request's first word in the mailbox, to the
 * PF's reply copied out, and to the write of the reply line (performance.now(), ms). Bench only: it wraps
 * net.Socket's emit and write and OwnedVf.traced in the daemon's process; written as JSON to
 * $DAEMON_SPLIT_OUT when the process exits.
 */
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const { OwnedVf } = await import(new URL('../dist/daemon/owned.js', import.meta.url).href);
/** One per request: [data → write] or [data → write, data → request in, request → reply out, reply → write]. */
const samples = [];
let dataAt = 0;
let requestAt = 0;
let replyAt = 0;

const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (event, ...args) {
  if (event === 'data' && this.server) {
    dataAt = performance.now();
    requestAt = 0;
    replyAt = 0;
  }
  return emit.call(this, event, ...args);
};
const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (...args) {
  if (dataAt !== 0 && this.server) {
    const now = performance.now();
    samples.push(requestAt !== 0 && replyAt !== 0 ? [now - dataAt, requestAt - dataAt, replyAt - requestAt, now - replyAt] : [now - dataAt]);
    dataAt = 0;
  }
  return write.apply(this, args);
};
const traced = OwnedVf.prototype.traced;
OwnedVf.prototype.traced = function (direction, words) {
  if (dataAt !== 0) {
    if (direction === 'vf-to-pf' && requestAt === 0) requestAt = performance.now();
    else if (direction === 'pf-to-vf') replyAt = performance.now();
  }
  return traced.call(this, direction, words);
};
process.on('exit', () => {
  if (process.env.DAEMON_SPLIT_OUT) writeFileSync(process.env.DAEMON_SPLIT_OUT, JSON.stringify(samples));
});
