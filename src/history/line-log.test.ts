// LineLog: the newest lines as records, taken once each in order, and loaded back from what was taken.
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { formatRfc5424 } from '../wire/rfc5424.js';
import { LineLog, storedTexts } from './line-log.js';

const lineOf = (i: number, pad: number): LogLine => ({
  pri: 190,
  time: '2026-11-21T05:14:56.000000+00:00',
  hostname: 'host',
  source: 'app',
  procid: 'web.1',
  msgid: '-',
  sd: '-',
  msg: `line ${i} ${'é✓x'.repeat(pad)}`,
});

test('property: reads give the newest lines; every take is the new lines in order; what was taken loads back', () => {
  const op = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), pad: fc.nat(40), big: fc.boolean() }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'take' as const }) },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.array(op, { maxLength: 300 }), (capacity, ops) => {
      const log = new LineLog(capacity);
      const texts: string[] = [];
      const taken: Buffer[] = [];
      let takenFrom = 0; // lines before this were offered to a take (or displaced)
      let held = 0;
      for (const o of ops) {
        if (o.kind === 'append') {
          // Now and then a record larger than a chunk (64 KiB): it gets a chunk of its own.
          const line = lineOf(texts.length, o.big && texts.length % 17 === 0 ? 9000 : o.pad);
          held += log.append(formatRfc5424(line));
          assert.equal(held, log.bytes, 'append reports the change in bytes held');
          texts.push(formatRfc5424(line));
        } else {
          const out = Buffer.alloc(log.pendingBytes + 8, 0xee);
          const want = log.pendingLines;
          const size = log.pendingBytes;
          assert.equal(log.take(out, 4), want);
          assert.equal(out.readUInt32BE(0), 0xeeeeeeee);
          assert.equal(out.readUInt32BE(4 + size), 0xeeeeeeee, 'exactly pendingBytes written');
          const got = storedTexts(out.subarray(4, 4 + size));
          assert.equal(got.length, want);
          // The new lines, in order, ending with the newest; what is left out is only lines
          // displaced before any take, and only from the front.
          assert.deepEqual(got, texts.slice(texts.length - want));
          assert.ok(texts.length - want >= takenFrom);
          if (want > 0) assert.ok(want >= Math.min(capacity, texts.length - takenFrom), 'at least the newest `capacity` new lines');
          taken.push(out.subarray(4, 4 + size));
          takenFrom = texts.length;
          assert.equal(log.pendingLines, 0);
          assert.equal(log.pendingBytes, 0);
        }
        assert.equal(log.length, Math.min(capacity, texts.length));
      }
      assert.deepEqual(log.last(), texts.slice(-capacity));
      assert.deepEqual(log.last(3), texts.slice(-Math.min(3, capacity)).slice(-3));
      // Loaded back from the rows taken (as a start does), the newest `capacity` of them read the same.
      const back = new LineLog(capacity);
      for (const row of taken) back.load(row);
      const stored = taken.flatMap((row) => storedTexts(row));
      assert.deepEqual(back.last(), stored.slice(-capacity));
      assert.equal(back.pendingLines, 0, 'loaded lines are on disk already');
    }),
    { numRuns: 200 },
  );
});

test('rows of the JSON layout still load, and a garbled tail is left out', () => {
  const log = new LineLog(10);
  log.load(JSON.stringify(['<13>1 - h app - - - one', '<13>1 - h app - - - two']));
  const good = Buffer.alloc(4 + 5);
  good.writeUInt32LE(5, 0);
  good.write('three', 4);
  const torn = Buffer.concat([good, Buffer.from([200, 0, 0, 0, 0x41])]); // says 200 bytes, has 1
  log.load(torn);
  assert.deepEqual(log.last(), ['<13>1 - h app - - - one', '<13>1 - h app - - - two', 'three']);
});

test('memory is held in chunks that are let go once newer ones hold the capacity', () => {
  const log = new LineLog(100);
  let bytes = 0;
  for (let i = 0; i < 100_000; i++) bytes += log.append(formatRfc5424(lineOf(i, 10)));
  assert.equal(bytes, log.bytes);
  // 100 lines of ~90 bytes, plus less than one 64 KiB chunk of surplus.
  assert.ok(log.bytes <= 100 * 100 + 2 * (64 << 10), `held ${log.bytes} bytes`);
  assert.equal(log.last().length, 100);
});
