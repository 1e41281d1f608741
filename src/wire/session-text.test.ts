import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogLine } from '../core/log-line.js';
import { formatSessionLine } from './session-text.js';

const base: LogLine = {
  pri: 190,
  time: '2010-09-16T15:13:46.677020+00:00',
  hostname: 'host',
  source: 'app',
  procid: 'web.1',
  msgid: '-',
  sd: '-',
  msg: 'Processing PostController#list',
};

test('SPEC §4.3 example', () => {
  assert.equal(formatSessionLine(base), '2010-09-16T15:13:46.677020+00:00 app[web.1]: Processing PostController#list\n');
});

test('PROCID - drops the brackets', () => {
  assert.equal(
    formatSessionLine({ ...base, source: 'heroku', procid: '-', msg: 'Error L15 (Tail buffer temporarily unavailable)' }),
    '2010-09-16T15:13:46.677020+00:00 heroku: Error L15 (Tail buffer temporarily unavailable)\n',
  );
});

test('a message ending in a newline gets no second one', () => {
  assert.equal(formatSessionLine({ ...base, msg: 'done\n' }), '2010-09-16T15:13:46.677020+00:00 app[web.1]: done\n');
  assert.equal(formatSessionLine({ ...base, msg: 'crlf\r\n' }), '2010-09-16T15:13:46.677020+00:00 app[web.1]: crlf\r\n');
});

test('empty and multi-byte messages', () => {
  assert.equal(formatSessionLine({ ...base, msg: '' }), '2010-09-16T15:13:46.677020+00:00 app[web.1]: \n');
  assert.equal(formatSessionLine({ ...base, msg: 'ok 🚀' }), '2010-09-16T15:13:46.677020+00:00 app[web.1]: ok 🚀\n');
});
