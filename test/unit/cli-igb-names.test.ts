/**
 * Issue 12 point 9: igb's message 0x06 is SET_PROMISC (E1000_VF_SET_PROMISC), ixgbe's SET_MACVLAN; the CLI
 * names words in the VF family's namespace in replies, --verbose traces and watch events.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeWord, familyKindOf } from '../../src/cli/format.js';
import { runCli } from '../helpers/cli-run.js';

test('describeWord is family-aware: 0x06 is SET_PROMISC on igb, SET_MACVLAN on ixgbe', () => {
  assert.equal(describeWord(0xa0000006, 'igbvf'), 'SET_PROMISC ACK|CTS (0xa0000006)');
  assert.equal(describeWord(0xa0000006, 'ixgbevf'), 'SET_MACVLAN ACK|CTS (0xa0000006)');
  assert.equal(familyKindOf('82576'), 'igbvf');
  assert.equal(familyKindOf('I350'), 'igbvf');
  assert.equal(familyKindOf('82599'), 'ixgbevf');
});

test('xcast on sim:family=82576: the reply and the --verbose trace say SET_PROMISC, never SET_MACVLAN', async () => {
  const r = await runCli(['xcast', 'sim:family=82576', 'allmulti', '--verbose']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /PF answered: SET_PROMISC ACK\|CTS \(0xa0000006\)/);
  assert.match(r.stderr, /mbx VF→PF SET_PROMISC \(0x00020006\)/);
  assert.match(r.stderr, /mbx PF→VF SET_PROMISC ACK\|CTS/);
  assert.doesNotMatch(r.stdout + r.stderr, /SET_MACVLAN/);
});
