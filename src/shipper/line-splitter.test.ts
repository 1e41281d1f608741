import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from './line-splitter.js';
import { splitLine } from './encoder.js';

test('lines across chunks, CRLF, empty lines skipped, last line without newline on end()', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(Buffer.from('one\r\ntw')), ['one']);
  assert.deepEqual(s.push(Buffer.from('o\n\n\nthr')), ['two']);
  assert.deepEqual(s.end(), ['thr']);
  assert.deepEqual(s.end(), []);
});

test('a long unfinished line comes out in max-byte chunks as they complete, same as splitting it whole', () => {
  const s = new LineSplitter(10);
  const line = 'abcdefghijklmnopqrstuvwxy'; // 25 bytes
  const out = [...s.push(Buffer.from(line.slice(0, 12))), ...s.push(Buffer.from(line.slice(12) + '\n'))];
  assert.deepEqual(out, ['abcdefghij', 'klmnopqrst', 'uvwxy']);
  assert.deepEqual(out, splitLine(Buffer.from(line), 10).map((b) => b.toString()));
});

test('chunks never cut a UTF-8 character', () => {
  const s = new LineSplitter(10);
  const line = 'aaaaaaaaa€bb'; // € is 3 bytes and would straddle byte 10
  const out = s.push(Buffer.from(`${line}\n`));
  assert.deepEqual(out, ['aaaaaaaaa', '€bb']);
  for (const c of out) assert.ok(Buffer.byteLength(c) <= 10);
});
