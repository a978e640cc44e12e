import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ExitCode, InvalidArgumentError } from '../../src/errors.js';
import { formatPciAddress, isPciAddress, parsePciAddress, splitPciAddress } from '../../src/pci/address.js';

test('parsePciAddress normalises full, short and upper-case forms', () => {
  assert.equal(parsePciAddress('0000:01:10.0'), '0000:01:10.0');
  assert.equal(parsePciAddress('01:10.2'), '0000:01:10.2');
  assert.equal(parsePciAddress('0000:AF:1F.7'), '0000:af:1f.7');
  assert.equal(parsePciAddress('  3b:02.1\n'), '0000:3b:02.1');
  assert.equal(parsePciAddress('1:2.3'), '0000:01:02.3');
  assert.equal(parsePciAddress('10000:01:00.0'), '10000:01:00.0'); // VMD domains print 5 digits
});

test('malformed addresses throw ERR_INVALID_PCI_ADDRESS, exit 2, hint ixgbevf list', () => {
  const bad = ['', 'sim', '0000:01:10', '0000:01:10.8', '0000:01:20.0', '0000:001:10.0', 'zz:00.0', '0000:01:10.0 ', '0000-01-10.0', '0000:01:10.0;rm', '123456789:00:00.0', '../0000:01:10.0'];
  for (const input of bad) {
    if (input === '0000:01:10.0 ') continue; // surrounding whitespace is trimmed on purpose (copy/paste)
    assert.throws(
      () => parsePciAddress(input),
      (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError, `${input}: ${String(err)}`);
        assert.equal(err.code, 'ERR_INVALID_PCI_ADDRESS');
        assert.equal(err.exitCode, ExitCode.badInput);
        assert.equal(err.hint, 'ixgbevf list');
        assert.ok(!err.message.includes('\n'), 'one-line message');
        return true;
      },
      input,
    );
    assert.equal(isPciAddress(input), false, input);
  }
});

test('a non-string input is refused, not crashed on', () => {
  assert.throws(() => parsePciAddress(42 as unknown as string), { code: 'ERR_INVALID_PCI_ADDRESS' });
});

test('property: format ∘ split round-trips every valid address', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0, max: 7 }), (domain, bus, device, fn) => {
      const addr = formatPciAddress({ domain, bus, device, function: fn });
      assert.match(addr, /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
      assert.deepEqual(splitPciAddress(addr), { domain, bus, device, function: fn });
      assert.equal(parsePciAddress(addr.toUpperCase()), addr);
    }),
  );
});
