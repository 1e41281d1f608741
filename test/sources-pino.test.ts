// In-process source (SPEC §3.3): a child Node program logs with pino through `sluice/pino` (the
// package export), and its lines show up in the app's log as app[web.7], JSON as pino wrote it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, runProgram, startSluice, type Sluice } from './helpers/sluice.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sources-pino-child.js');
let s: Sluice;

before(async () => {
  s = await startSluice();
});
after(async () => {
  await s?.stop();
});

test('pino with the sluice/pino transport: every line reaches the app log, flushed at exit', async () => {
  const token = await s.createAppWithToken('pino-app');
  const r = await runProgram(process.execPath, [child], {
    env: childEnv({ SLUICE_URL: s.url, SLUICE_LOG_TOKEN: token, PINO_LINES: '20', DYNO: undefined }),
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = (await s.waitForLogs('pino-app', (l) => l.filter((x) => x.includes(' app[web.7]: ')).length >= 21, { source: 'app' })).filter((x) =>
    x.includes(' app[web.7]: '),
  );
  assert.equal(lines.length, 21, lines.join('\n'));
  const records = lines.map((l) => JSON.parse(l.slice(l.indexOf(': ') + 2)) as { level: number; msg: string; i?: number });
  assert.deepEqual(
    records.slice(0, 20).map((x) => [x.level, x.msg, x.i]),
    Array.from({ length: 20 }, (_, i) => [30, 'hello from pino', i]),
  );
  assert.equal(records[20].level, 50);
  assert.equal(records[20].msg, 'last words');
  assert.ok(!r.stderr.includes(token));
});
