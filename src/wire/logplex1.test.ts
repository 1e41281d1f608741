import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeLogplexBody, encodeFrame, encodeFrames } from './logplex1.js';

function frames(body: string | Buffer, max?: number): string[] {
  const r = decodeLogplexBody(typeof body === 'string' ? Buffer.from(body) : body, max);
  if (!r.ok) assert.fail(`expected the body to decode, got: ${r.reason}`);
  return r.frames.map((f) => f.toString('utf8'));
}

function refusal(body: string, max?: number): { index: number; reason: string } {
  const r = decodeLogplexBody(Buffer.from(body), max);
  if (r.ok) assert.fail(`expected ${JSON.stringify(body)} to be refused`);
  return { index: r.index, reason: r.reason };
}

const STATE = '<40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n';
const START = '<40>1 2012-11-30T06:45:26+00:00 host app web.3 - Starting process with command `bundle exec rackup config.ru -p 24405`\n';

test("Heroku's documented drain body: 83 and 119 bytes, newline counted", () => {
  assert.equal(encodeFrame(STATE), `83 ${STATE}`);
  assert.equal(encodeFrame(START), `119 ${START}`);
  assert.deepEqual(frames(`83 ${STATE}119 ${START}`), [STATE, START]);
});

test("the logplex README's 10-frame request is 730 bytes", () => {
  const msg = '<174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi from erlang\n';
  const body = encodeFrames(Array.from({ length: 10 }, () => msg));
  assert.equal(Buffer.byteLength(body), 730);
  assert.deepEqual(frames(body), Array.from({ length: 10 }, () => msg));
});

test('lengths count UTF-8 bytes, not characters', () => {
  const msg = '<13>1 - h a p - - héllo 日本 🚀';
  assert.equal(encodeFrame(msg), `${Buffer.byteLength(msg)} ${msg}`);
  assert.notEqual(Buffer.byteLength(msg), msg.length);
  assert.equal(encodeFrame('🚀'), '4 🚀');
  assert.deepEqual(frames(encodeFrames([msg, '🚀', 'é'])), [msg, '🚀', 'é']);
});

test('an empty body is valid and holds no frames', () => {
  assert.deepEqual(frames(''), []);
  assert.equal(encodeFrames([]), '');
});

test('frames are subarrays of the body, not copies', () => {
  const body = Buffer.from('5 hello3 abc');
  const r = decodeLogplexBody(body);
  assert.ok(r.ok);
  assert.equal(r.frames[1].buffer, body.buffer);
  assert.equal(r.frames[1].byteOffset, body.byteOffset + 9);
});

test('each refusal names the first bad frame', () => {
  assert.deepEqual(refusal('x'), { index: 0, reason: 'frame 0: expected a length' });
  assert.deepEqual(refusal(`5 hello12000 ${'x'.repeat(12000)}`), { index: 1, reason: 'frame 1: length 12000 exceeds 10240' });
  assert.deepEqual(refusal('1 a1 b80 twelve bytes'), { index: 2, reason: 'frame 2: truncated (declared 80 bytes, 12 present)' });
  assert.deepEqual(refusal('1 a05 hello'), { index: 1, reason: 'frame 1: length has a leading zero' });
  assert.deepEqual(refusal('0 '), { index: 0, reason: 'frame 0: length 0 is not a frame' });
  assert.deepEqual(refusal('5hello'), { index: 0, reason: 'frame 0: expected a space after the length' });
  assert.deepEqual(refusal('5 hello\n'), { index: 1, reason: 'frame 1: expected a length' });
  assert.deepEqual(refusal('12'), { index: 0, reason: 'frame 0: truncated (declared 12 bytes, 0 present)' });
  assert.deepEqual(refusal('12345678901 x'), { index: 0, reason: 'frame 0: length field longer than 10 digits' });
  assert.deepEqual(refusal('6 hello!', 5), { index: 0, reason: 'frame 0: length 6 exceeds 5' });
  assert.deepEqual(frames('5 hello', 5), ['hello']);
});

test('property: decode(encodeFrames(msgs)) gives msgs back', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }), { maxLength: 20 }), (msgs) => {
      assert.deepEqual(frames(encodeFrames(msgs)), msgs);
    }),
    { numRuns: 300 },
  );
});

test('property: random bytes never throw, and a refusal points inside the body', () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.string({ unit: fc.constantFrom('0', '1', '2', '9', ' ', 'a', '\n'), maxLength: 40 }).map((s) => Buffer.from(s)),
  );
  fc.assert(
    fc.property(bytes, (b) => {
      const r = decodeLogplexBody(Buffer.from(b), 16);
      if (r.ok) assert.ok(r.frames.every((f) => f.length > 0 && f.length <= 16));
      else {
        assert.ok(r.index >= 0 && r.index <= b.length);
        assert.ok(r.reason.startsWith(`frame ${r.index}: `));
      }
    }),
    { numRuns: 300 },
  );
});
