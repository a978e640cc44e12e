/**
 * Test-only preload for the real `ixgbevf daemon` (`node --import tsx --import test/helpers/stop-on-op.mjs
 * src/cli/main.ts daemon …`): the first chunk a socket receives that holds a request with the op named in
 * $IXGBEVF_TEST_STOP_ON_OP makes the daemon stop itself (SIGSTOP) before it reads it. The request has
 * been sent and sits unread in a stopped daemon, as with `kill -STOP` at the wrong moment; after SIGCONT
 * the daemon goes on and carries it out. No production code knows.
 */
import net from 'node:net';

const op = process.env.IXGBEVF_TEST_STOP_ON_OP;
if (op !== undefined && op !== '') {
  const needle = `"op":${JSON.stringify(op)}`;
  let stopped = false;
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (event, ...args) {
    if (!stopped && event === 'data' && String(args[0]).includes(needle)) {
      stopped = true;
      process.kill(process.pid, 'SIGSTOP');
    }
    return emit.call(this, event, ...args);
  };
}
