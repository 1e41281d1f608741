import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressRefusal, parseAddress } from './address-policy.js';

test('every spelling is normalised to the address it reaches', () => {
  const cases: Array<[string, string, string, string?]> = [
    ['2852039166', '169.254.169.254', 'link-local'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254', 'link-local'],
    ['0251.0376.0251.0376', '169.254.169.254', 'link-local'],
    ['169.254.43518', '169.254.169.254', 'link-local'],
    ['169.254.169.254.', '169.254.169.254', 'link-local'],
    ['[::ffff:a9fe:a9fe]', '169.254.169.254', 'link-local', 'IPv4-mapped'],
    ['0:0:0:0:0:ffff:169.254.169.254', '169.254.169.254', 'link-local', 'IPv4-mapped'],
    ['::169.254.169.254', '169.254.169.254', 'link-local', 'IPv4-compatible'],
    ['64:ff9b::a9fe:a9fe', '169.254.169.254', 'link-local', 'NAT64'],
    ['2002:a9fe:a9fe::', '169.254.169.254', 'link-local', '6to4'],
    ['127.1', '127.0.0.1', 'loopback'],
    ['::ffff:127.0.0.1', '127.0.0.1', 'loopback', 'IPv4-mapped'],
    ['0', '0.0.0.0', 'unspecified'],
    ['::', '::', 'unspecified'],
    ['::1', '::1', 'loopback'],
    ['012.0.0.5', '10.0.0.5', 'private'],
    ['fd00::1', 'fd00::1', 'private'],
    ['fe80::1', 'fe80::1', 'link-local'],
    ['224.0.0.251', '224.0.0.251', 'multicast'],
    ['8.8.8.8', '8.8.8.8', 'public'],
    ['::ffff:8.8.8.8', '8.8.8.8', 'public', 'IPv4-mapped'],
    ['2606:4700::1111', '2606:4700::1111', 'public'],
  ];
  for (const [input, address, cls, embedded] of cases) {
    const a = parseAddress(input);
    assert.ok(a, input);
    assert.deepEqual([a.address, a.cls, a.embedded], [address, cls, embedded], input);
  }
  for (const name of ['example.com', '08.1.1.1', 'localhost', '1.2.3.4.5', 'fe80::1%eth0']) assert.equal(parseAddress(name), undefined, name);
});

test('the policy: link-local and multicast always; the rest only when private drains are denied', () => {
  assert.match(addressRefusal('x', '::ffff:169.254.169.254', false)!, /link-local address \(169\.254\.169\.254, written as an IPv4-mapped IPv6 address\); drains to it are never allowed/);
  assert.match(addressRefusal('x', '239.1.2.3', false)!, /multicast/);
  assert.equal(addressRefusal('x', '10.0.0.5', false), undefined);
  assert.match(addressRefusal('x', '::ffff:10.0.0.5', true)!, /loopback or private address \(10\.0\.0\.5/);
  assert.match(addressRefusal('x', '0.0.0.0', true)!, /unspecified address/);
  assert.match(addressRefusal('x', '192.0.2.1', true)!, /reserved address/);
  assert.equal(addressRefusal('x', '93.184.216.34', true), undefined);
});
