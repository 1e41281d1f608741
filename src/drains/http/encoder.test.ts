import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from '../../core/log-line.js';
import { DrainBuffer } from '../buffer.js';
import { takeHttpBatch } from './encoder.js';

const line = (msg: string, procid = 'web.3'): LogLine => ({
  pri: 40, time: '2012-11-30T06:45:29+00:00', hostname: 'x', source: 'app', procid, msgid: 'm', sd: '[a b="c"]', msg,
});

test('SPEC §4.1 frames: literal host, no SD, one newline counted by LEN', () => {
  const b = new DrainBuffer(10);
  b.push(line('State changed from starting to up'));
  b.push(line('already ends\n'));
  b.push(line('ünïcödé ✓'));
  const batch = takeHttpBatch(b, 102_400, 1000)!;
  assert.equal(
    batch.body.toString('utf8'),
    '83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n' +
      '62 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - already ends\n' +
      `${50 + Buffer.byteLength('ünïcödé ✓')} <40>1 2012-11-30T06:45:29+00:00 host app web.3 - ünïcödé ✓\n`,
  );
  assert.equal(batch.msgCount, 3);
  assert.match(batch.frameId, /^[0-9A-F]{32}$/);
});

test('batches stop at the byte and message limits; an L10 for pending loss comes first and is counted', () => {
  const b = new DrainBuffer(5);
  for (let i = 0; i < 8; i++) b.push(line(`m${i}`));
  const first = takeHttpBatch(b, 102_400, 2)!;
  assert.equal(first.msgCount, 3);
  assert.equal(first.lines, 2);
  assert.equal(first.loss?.count, 3);
  assert.match(first.body.toString(), /^\d+ <172>1 \S+ host heroku logplex - Error L10 \(output buffer overflow\): 3 messages dropped since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\.\n\d+ <40>1/);
  const second = takeHttpBatch(b, 60, 1000)!; // each frame is ~50 bytes: one fits
  assert.equal(second.lines, 1);
  assert.equal(second.loss, undefined);
  assert.notEqual(second.frameId, first.frameId);
});
