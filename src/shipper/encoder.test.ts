import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage, isValidDyno, l12Text, l13Text, splitLine } from './encoder.js';

test('messages and the L12/L13 texts are Heroku’s', () => {
  assert.equal(encodeMessage(190, '2024-01-01T00:00:00.000000+00:00', 'web.1', 'hi'), '<190>1 2024-01-01T00:00:00.000000+00:00 shuttle app web.1 - - hi');
  const t = new Date('2013-11-04T21:31:32.125Z');
  assert.equal(l12Text(222, t), 'Error L12: 222 messages dropped since 2013-11-04T21:31:32.125000+00:00.');
  assert.equal(l13Text(111, t), 'Error L13: 111 messages lost since 2013-11-04T21:31:32.125000+00:00.');
});

test('a 25,000-byte line is three chunks of 10,000, 10,000 and 5,000 bytes', () => {
  const chunks = splitLine(Buffer.from('x'.repeat(25_000)));
  assert.deepEqual(chunks.map((c) => c.length), [10_000, 10_000, 5_000]);
  assert.deepEqual(splitLine(Buffer.from('short')).map(String), ['short']);
});

test('dyno names are RFC 5424 PROCIDs', () => {
  assert.ok(isValidDyno('worker.3'));
  assert.ok(!isValidDyno('web 1'));
  assert.ok(!isValidDyno(''));
});
