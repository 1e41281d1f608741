import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { LogLine } from '../core/log-line.js';
import { formatHttpDrainMessage, formatSyslogDrainMessage, octetFrame } from './drain-format.js';
import { decodeLogplexBody } from './logplex1.js';
import { parseRfc5424 } from './rfc5424.js';

function line(text: string): LogLine {
  const r = parseRfc5424(text);
  if (!r.ok) assert.fail(r.reason);
  return r.value;
}

const STATE: LogLine = {
  pri: 40,
  time: '2012-11-30T06:45:29+00:00',
  hostname: 'some.host',
  source: 'app',
  procid: 'web.3',
  msgid: 'm1',
  sd: '[x@1 a="b"]',
  msg: 'State changed from starting to up',
};

test('HTTP drain: the DevCenter example byte for byte, 83 bytes', () => {
  const framed = octetFrame(formatHttpDrainMessage(STATE));
  assert.equal(framed, '83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up\n');
});

test('HTTP drain: the newline is not doubled, and the second DevCenter example is 119 bytes', () => {
  const msg = 'Starting process with command `bundle exec rackup config.ru -p 24405`\n';
  const framed = octetFrame(formatHttpDrainMessage({ ...STATE, time: '2012-11-30T06:45:26+00:00', msg }));
  assert.equal(framed, `119 <40>1 2012-11-30T06:45:26+00:00 host app web.3 - ${msg}`);
});

test("HTTP drain: logplex's channel_logs_format case drops HOSTNAME, MSGID and SD", () => {
  const input = line('<158>1 2018-03-02T23:22:34.901697+00:00 hermes.537018@staging.herokudev.com heroku router - - at=info code=H81');
  assert.equal(formatHttpDrainMessage(input), '<158>1 2018-03-02T23:22:34.901697+00:00 host heroku router - at=info code=H81\n');
});

test('syslog drain: the drain token is HOSTNAME, MSGID and SD are -, 105 bytes', () => {
  const input = line('<190>1 2024-01-01T00:00:00.000000+00:00 shuttle app web.1 - - hello world');
  const msg = formatSyslogDrainMessage(input, 'd.aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
  assert.equal(
    octetFrame(msg),
    '105 <190>1 2024-01-01T00:00:00.000000+00:00 d.aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee app web.1 - - hello world\n',
  );
  assert.equal(formatSyslogDrainMessage({ ...input, msg: 'x\n' }, 'd.1').endsWith(' - - x\n'), true);
});

test('multi-byte messages: LEN counts bytes including the newline', () => {
  const msg = formatHttpDrainMessage({ ...STATE, msg: 'café 🚀' });
  const framed = octetFrame(msg);
  const len = Number(framed.slice(0, framed.indexOf(' ')));
  assert.equal(len, Buffer.byteLength(msg));
  assert.equal(len, msg.length + 1 + 2); // é is 2 bytes (1 extra), 🚀 is 4 bytes in 2 UTF-16 units (2 extra)
});

test('property: drained messages end in exactly one added newline and frame back intact', () => {
  const arb = fc.record({
    msg: fc.string({ unit: 'binary', maxLength: 40 }),
    pri: fc.integer({ min: 0, max: 191 }),
  });
  fc.assert(
    fc.property(arb, ({ msg, pri }) => {
      const http = formatHttpDrainMessage({ ...STATE, pri, msg });
      const sys = formatSyslogDrainMessage({ ...STATE, pri, msg }, 'd.x');
      for (const m of [http, sys]) {
        assert.ok(m.endsWith('\n'));
        assert.equal(m.endsWith(`${msg}\n`) || (msg.endsWith('\n') && m.endsWith(msg)), true);
      }
      const r = decodeLogplexBody(Buffer.from(octetFrame(http) + octetFrame(sys)));
      assert.ok(r.ok);
      assert.deepEqual(r.frames.map((f) => f.toString('utf8')), [http, sys]);
    }),
    { numRuns: 200 },
  );
});
