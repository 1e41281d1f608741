// `sluice logs` on a real terminal (a pty from util-linux `script`) colours its headers; in a pipe it does not.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requireProgram } from './helpers/external.js';
import { childEnv, makeFrame, rfc5424, runProgram, runSluiceCli, sluiceMain, startSluice, type Sluice } from './helpers/sluice.js';

let s: Sluice;
before(async () => {
  s = await startSluice();
  const token = await s.createAppWithToken('colours');
  const r = await s.postLogs(token, [
    makeFrame(rfc5424(token, 'web.1', 'from web', '2026-01-01T00:00:00.000000+00:00')),
    makeFrame(rfc5424(token, 'worker.2', 'from worker', '2026-01-01T00:00:01.000000+00:00')),
  ]);
  assert.equal(r.status, 204);
});
after(() => s.stop());

test('in a pipe: plain session lines', async () => {
  const r = await runSluiceCli(['logs', '-a', 'colours', '-s', 'app'], s);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '2026-01-01T00:00:00.000000+00:00 app[web.1]: from web\n2026-01-01T00:00:01.000000+00:00 app[worker.2]: from worker\n');
});

test('on a terminal: the header is coloured, the message is not; --no-color turns it off', async (t) => {
  if (!requireProgram(t, 'script')) return;
  const env = childEnv({ SLUICE_URL: s.url, SLUICE_API_KEY: s.apiKey, NO_COLOR: undefined, TERM: 'xterm' });
  const run = (extra: string) =>
    runProgram('script', ['-qec', `${process.execPath} ${sluiceMain} logs -a colours -s app ${extra}`, '/dev/null'], { env, timeoutMs: 15_000 });
  const coloured = await run('');
  assert.equal(coloured.code, 0, coloured.stderr);
  const ESC = '\x1b';
  assert.ok(coloured.stdout.includes(`${ESC}[2m2026-01-01T00:00:00.000000+00:00${ESC}[0m${ESC}[32m app[web.1]:${ESC}[0m from web`), JSON.stringify(coloured.stdout));
  assert.ok(coloured.stdout.includes(` app[worker.2]:${ESC}[0m from worker`), JSON.stringify(coloured.stdout));
  const plain = await run('--no-color');
  assert.ok(!plain.stdout.includes('\x1b['), JSON.stringify(plain.stdout));
  assert.match(plain.stdout, /app\[web\.1\]: from web/);
});
