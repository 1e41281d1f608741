import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamFramer, type FrameSink } from './octet-stream.js';

/** Frame bytes as text when they are valid UTF-8 (readable failures), as hex otherwise (exact). */
function show(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : `hex:${Buffer.from(bytes).toString('hex')}`;
}

/** Records sink calls as strings, reading each frame synchronously as the contract requires. */
function recorder(): FrameSink & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    frame: (f) => events.push(`F:${show(f)}`),
    malformed: (r) => events.push(`M:${r}`),
  };
}

/**
 * Feeds `stream` split at `cuts`, each chunk a fresh buffer that is zeroed right after `push`
 * returns — so any frame that kept a reference into a caller's chunk shows up corrupted.
 */
function run(stream: Buffer, cuts: number[] = [], max?: number): string[] {
  return runCounting(stream, cuts, max).events;
}

/** run(), also giving the framer's count of bytes discarded while resynchronising. */
function runCounting(stream: Buffer, cuts: number[] = [], max?: number): { events: string[]; discarded: number } {
  const sink = recorder();
  const framer = new StreamFramer(sink, max === undefined ? {} : { maxFrameBytes: max });
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    const chunk = Buffer.from(stream.subarray(from, cut));
    framer.push(chunk);
    chunk.fill(0);
    from = cut;
  }
  framer.end();
  return { events: sink.events, discarded: framer.discardedBytes };
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

test('octet frames and newline lines on one stream', () => {
  assert.deepEqual(run(b('5 hello<13>1 line\r\n\n\r\n6 world!plain\n')), ['F:hello', 'F:<13>1 line', 'F:world!', 'F:plain']);
});

test('a frame inside one chunk is a subarray of it', () => {
  const chunk = b('5 hello<1>x\n');
  const seen: Buffer[] = [];
  const framer = new StreamFramer({ frame: (f) => seen.push(f), malformed: () => assert.fail('malformed') });
  framer.push(chunk);
  assert.equal(seen.length, 2);
  for (const f of seen) assert.equal(f.buffer, chunk.buffer);
  assert.equal(seen[0].byteOffset, chunk.byteOffset + 2);
});

test('frames straddling chunks are reassembled', () => {
  const stream = b('11 hello world<13>a long line\n');
  for (let cut = 0; cut <= stream.length; cut++) {
    assert.deepEqual(run(stream, [cut]), ['F:hello world', 'F:<13>a long line'], `cut at ${cut}`);
  }
  assert.deepEqual(run(stream, [1, 2, 3, 5, 8, 13, 21]), ['F:hello world', 'F:<13>a long line']);
});

test('multi-byte UTF-8 split mid-character', () => {
  const msg = 'héllo 🚀 日本';
  const stream = b(`${Buffer.byteLength(msg)} ${msg}`);
  for (let cut = 0; cut <= stream.length; cut++) assert.deepEqual(run(stream, [cut]), [`F:${msg}`]);
});

test('a line that starts with digits is still a line', () => {
  assert.deepEqual(run(b('2024-01-01 started\n12\n7\r\n')), ['F:2024-01-01 started', 'F:12', 'F:7']);
  assert.deepEqual(run(b('0 zero\n')), ['F:0 zero']);
});

test('LEN over the limit: reported once, then resynchronised after the next newline', () => {
  assert.deepEqual(run(b('11 hello world\n5 hello'), [], 10), ['M:frame length 11 exceeds 10', 'F:hello']);
});

test('a NUL ends a message like LF (Python SysLogHandler over TCP): every message its own frame, no NUL kept', () => {
  const stream = b('<14>t.a: one\0<14>t.a: two\0<14>t.a: three\0');
  for (let cut = 0; cut <= stream.length; cut++) {
    assert.deepEqual(run(stream, [cut]), ['F:<14>t.a: one', 'F:<14>t.a: two', 'F:<14>t.a: three'], `cut at ${cut}`);
  }
  assert.deepEqual(run(b('<1>a\r\0\0<1>b\n\0<1>c')), ['F:<1>a', 'F:<1>b', 'F:<1>c'], 'CR stripped, empty frames skipped');
  assert.deepEqual(run(b('12\0' + '3 abc\0')), ['F:12', 'F:abc'], 'digits then NUL are a line; NUL after an octet frame is skipped');
});

test('a counted body loses one trailing LF (CRLF) or NUL; other bytes are kept as sent', () => {
  assert.deepEqual(run(b('4 abc\n4 abc\0' + '5 abc\r\n' + '5 a\x1b[1m')), ['F:abc', 'F:abc', 'F:abc', 'F:a\x1b[1m']);
  assert.deepEqual(run(b('5 abc\n\n')), ['F:abc\n']);
  assert.deepEqual(run(b('1 \n1 \0')), [], 'a body that is only a terminator is no message');
  assert.deepEqual(run(b('9 <1>a\0<1>b' + '5 \0\0x\0\0')), ['F:<1>a', 'F:<1>b', 'F:x'], 'a NUL inside a counted body ends a message too');
});

test('a NUL-terminated stream far over 10 KiB gives every message', () => {
  const msgs = Array.from({ length: 1000 }, (_, i) => `<14>t.x: message number ${i} ${'p'.repeat(i % 50)}`);
  const stream = b(msgs.map((m) => `${m}\0`).join(''));
  assert.ok(stream.length > 40_000);
  assert.deepEqual(run(stream, [1, 4096, 10_000, 30_000]), msgs.map((m) => `F:${m}`));
});

test('a huge length prefix is malformed at once, counted, and the framer resynchronises at the next LF or NUL', () => {
  const r = runCounting(b('99999999999 <14>swallowed?\0<14>next one\0' + '40000 x\n<14>after\n'));
  assert.deepEqual(r.events, ['M:length field longer than 10 digits', 'F:<14>next one', 'M:frame length 40000 exceeds 10240', 'F:<14>after']);
  assert.equal(r.discarded, '99999999999 <14>swallowed?\0'.length + '40000 x\n'.length, 'every skipped byte is counted');
});

test('a length field of more than 10 digits is malformed', () => {
  assert.deepEqual(run(b('12345678901 x\n1 a')), ['M:length field longer than 10 digits', 'F:a']);
  assert.deepEqual(run(b('1234567890\n')), ['F:1234567890']);
});

test('an endless line is refused once and never buffered whole', () => {
  const sink = recorder();
  const framer = new StreamFramer(sink);
  const junk = Buffer.alloc(64 * 1024, 0x78);
  for (let i = 0; i < 16; i++) framer.push(junk); // 1 MiB without a newline
  framer.push(b('still junk\nok\n'));
  framer.end();
  assert.deepEqual(sink.events, ['M:line longer than 10240 bytes', 'F:ok']);
});

test('a line of exactly maxFrameBytes is accepted with LF or CRLF, one more byte is not', () => {
  const max = 8;
  for (const stream of [b('<1234567\n'), b('<1234567\r\n')]) {
    for (let cut = 0; cut <= stream.length; cut++) assert.deepEqual(run(stream, [cut], max), ['F:<1234567']);
  }
  for (const stream of [b('<12345678\n'), b('<12345678\r\n'), b('<1234567\rx\n')]) {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(run(stream, [cut], max), ['M:line longer than 8 bytes'], `${JSON.stringify(stream.toString())} cut at ${cut}`);
    }
  }
});

test('end(): flushes an unterminated line, reports a truncated frame, then starts afresh', () => {
  assert.deepEqual(run(b('<13>last words')), ['F:<13>last words']);
  assert.deepEqual(run(b('123')), ['F:123']);
  assert.deepEqual(run(b('5 hel')), ['M:truncated frame at end of stream (declared 5 bytes, 3 present)']);
  assert.deepEqual(run(b('5 ')), ['M:truncated frame at end of stream (declared 5 bytes, 0 present)']);
  assert.deepEqual(run(b('\r')), []);
  const sink = recorder();
  const framer = new StreamFramer(sink);
  framer.push(b('3 ab'));
  framer.end();
  framer.push(b('2 ok'));
  framer.end();
  assert.deepEqual(sink.events, ['M:truncated frame at end of stream (declared 3 bytes, 2 present)', 'F:ok']);
});

// Stream pieces for the properties, with a small limit so oversize paths are hit often.
const MAX = 16;
const body = fc.uint8Array({ minLength: 1, maxLength: MAX });
const lineText = fc.string({ unit: fc.constantFrom('<', 'a', 'é', '🚀', ' ', '1', '\r'), minLength: 1, maxLength: 6 });
const terminator = fc.constantFrom('\n', '\0');
const goodLine = fc
  .tuple(
    lineText.filter((s) => !/^[1-9]/.test(s) && Buffer.byteLength(s.replace(/\r$/, '')) <= MAX && s.replace(/\r$/, '') !== ''),
    terminator,
  )
  .map(([s, end]) => ({ bytes: b(`${s}${end}`), frame: s.replace(/\r$/, '') }));
/** A counted body as the framer gives it back: without one trailing NUL, or LF with an optional CR before it. */
function unterminated(u: Uint8Array): Uint8Array {
  const n = u.length;
  if (u[n - 1] === 0) return u.subarray(0, n - 1);
  if (u[n - 1] === 0x0a) return u.subarray(0, n >= 2 && u[n - 2] === 0x0d ? n - 2 : n - 1);
  return u;
}
const goodOctet = body
  .filter((u) => unterminated(u).length > 0 && !unterminated(u).includes(0)) // a NUL inside cuts a body in two
  .map((u) => ({ bytes: Buffer.concat([b(`${u.length} `), u]), frame: show(unterminated(u)) }));
const anyPiece = fc.oneof(
  goodOctet.map((p) => p.bytes),
  goodLine.map((p) => p.bytes),
  fc.uint8Array({ maxLength: 24 }).map((u) => Buffer.from(u)), // junk
  fc.integer({ min: MAX + 1, max: 99 }).map((n) => b(`${n} ${'z'.repeat(n)}\n`)), // oversized frame
  fc.integer({ min: MAX + 1, max: 60 }).map((n) => b(`${'y'.repeat(n)}\n`)), // over-long line
  fc.constantFrom(b('123456789012 x\n'), b('123456789012 x\0'), b('\n'), b('\0'), b('\r\n'), b('0 '), b('42')),
);

function cutsFor(length: number): fc.Arbitrary<number[]> {
  return fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 12 }).map((c) => c.sort((x, y) => x - y));
}

test('property: every split of a stream gives the same calls', () => {
  const streamAndCuts = fc
    .array(anyPiece, { maxLength: 12 })
    .map((pieces) => Buffer.concat(pieces))
    .chain((s) => fc.tuple(fc.constant(s), cutsFor(s.length)));
  fc.assert(
    fc.property(streamAndCuts, ([stream, cuts]) => {
      assert.deepEqual(runCounting(stream, cuts, MAX), runCounting(stream, [], MAX));
    }),
    { numRuns: 300 },
  );
});

test('property: a well-formed stream gives back exactly its messages, however split', () => {
  const streamAndCuts = fc
    .array(fc.oneof(goodOctet, goodLine), { maxLength: 12 })
    .chain((pieces) => {
      const stream = Buffer.concat(pieces.map((p) => p.bytes));
      return fc.tuple(fc.constant(pieces.map((p) => `F:${p.frame}`)), fc.constant(stream), cutsFor(stream.length));
    });
  fc.assert(
    fc.property(streamAndCuts, ([expected, stream, cuts]) => {
      assert.deepEqual(run(stream, cuts, MAX), expected);
    }),
    { numRuns: 300 },
  );
});

test('property: random bytes never throw and never yield an over-limit frame', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), cutsFor(200), (u, cuts) => {
      const sizes: number[] = [];
      const framer = new StreamFramer({ frame: (f) => sizes.push(f.length), malformed: () => undefined }, { maxFrameBytes: MAX });
      let from = 0;
      for (const cut of [...cuts.filter((c) => c <= u.length), u.length]) {
        framer.push(Buffer.from(u.subarray(from, cut)));
        from = cut;
      }
      framer.end();
      assert.ok(sizes.every((n) => n > 0 && n <= MAX));
    }),
    { numRuns: 300 },
  );
});
