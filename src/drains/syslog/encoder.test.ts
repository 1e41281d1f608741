import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from '../../core/log-line.js';
import { DrainBuffer } from '../buffer.js';
import { syslogDatagram, takeSyslogChunk } from './encoder.js';

const TOKEN = 'd.aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const line = (msg: string): LogLine => ({
  pri: 190, time: '2024-01-01T00:00:00.000000+00:00', hostname: 'x', source: 'app', procid: 'web.1', msgid: 'm', sd: '-', msg,
});

test('SPEC §4.2 frames: drain token as HOSTNAME, MSGID and SD nil, newline once', () => {
  const b = new DrainBuffer(10);
  b.push(line('hello world'));
  b.push(line('hello world\n'));
  const c = takeSyslogChunk(b, TOKEN, 65536)!;
  const one = `105 <190>1 2024-01-01T00:00:00.000000+00:00 ${TOKEN} app web.1 - - hello world\n`;
  assert.equal(c.data.toString(), one + one);
  assert.equal(c.lines, 2);
  assert.equal(syslogDatagram(line('hi'), TOKEN).toString(), `<190>1 2024-01-01T00:00:00.000000+00:00 ${TOKEN} app web.1 - - hi\n`);
});

test('an L10 frame goes into the stream where the loss happened', () => {
  const b = new DrainBuffer(1);
  b.push(line('a'));
  b.push(line('b'));
  const c = takeSyslogChunk(b, TOKEN, 65536)!;
  const text = c.data.toString();
  assert.match(text, new RegExp(`^\\d+ <172>1 \\S+ ${TOKEN} heroku logplex - - Error L10 \\(output buffer overflow\\): 1 messages dropped since \\S+\\.\\n\\d+ <190>1 .* - - b\\n$`));
  assert.equal(c.lines, 1);
});
