// History (SPEC §2, §5 log-sessions, reference: 1,500 lines) and persistence across restarts:
// SIGTERM and kill -9 with the same data dir keep apps, tokens and the newest 1,500 lines.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSluice, makeFrame, rfc5424, fixedTime, type Sluice } from './helpers/sluice.js';

const APP = 'histapp';
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-history-'));
const apiKey = `sk_hist_${process.pid}_${Date.now()}`;
after(() => rmSync(dataDir, { recursive: true, force: true }));

const line = (i: number): string => `${fixedTime(i)} app[web.1]: line ${String(i).padStart(4, '0')}`;
const frame = (token: string, i: number): string =>
  makeFrame(rfc5424(token, 'web.1', `line ${String(i).padStart(4, '0')}`, fixedTime(i)));
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, k) => a + k);

let s: Sluice | undefined;
let token = '';
let appId = '';
let tokenId = '';

async function post(from: number, to: number): Promise<void> {
  for (let a = from; a <= to; a += 200) {
    const ids = range(a, Math.min(to, a + 199));
    const r = await s!.postLogs(token, ids.map((i) => frame(token, i)));
    assert.equal(r.status, 204, `POST /logs ${a}..: ${r.status} ${r.body}`);
  }
}

async function expectState(expected: string[], label: string): Promise<void> {
  const app = await s!.api('GET', `/apps/${APP}`);
  assert.equal(app.status, 200, `${label}: app still exists`);
  assert.equal(app.body.id, appId, `${label}: same app id`);
  const toks = await s!.api('GET', `/apps/${APP}/log-tokens`);
  assert.equal(toks.status, 200);
  assert.ok(
    (toks.body as Array<{ id: string; name: string }>).some((x) => x.id === tokenId && x.name === 'app'),
    `${label}: token still listed: ${JSON.stringify(toks.body)}`,
  );
  const want = expected[expected.length - 1];
  const lines = await s!.waitForLogs(APP, (ls) => ls[ls.length - 1] === want, { lines: 1500, timeoutMs: 5_000 });
  assert.equal(lines.length, 1500, `${label}: 1500 lines`);
  assert.deepEqual(lines, expected, `${label}: newest 1500 lines, in order`);
}

test('1,600 lines in: a 1,500-line session returns exactly lines 101..1600 in order', async () => {
  s = await startSluice({ dataDir, apiKey });
  const a = await s.api('POST', '/apps', { name: APP });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  appId = a.body.id;
  const t = await s.api('POST', `/apps/${APP}/log-tokens`, { name: 'app' });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  token = t.body.token;
  tokenId = t.body.id;
  assert.match(token, /^t\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  await post(1, 1600);
  const lines = await s.waitForLogs(APP, (ls) => ls[ls.length - 1] === line(1600), { lines: 1500, timeoutMs: 5_000 });
  assert.equal(lines.length, 1500);
  assert.equal(lines[0], line(101));
  assert.equal(lines[1499], line(1600));
  assert.deepEqual(lines, range(101, 1600).map(line));
  // Default is 100 lines; more than 1500 is capped (or refused) — never more than 1500.
  assert.deepEqual(await s.readLogs(APP), range(1501, 1600).map(line));
  // SSE gives the same lines.
  assert.deepEqual(await s.readLogs(APP, { lines: 10, sse: true }), range(1591, 1600).map(line));
});

test('SIGTERM restart with the same data dir keeps apps, tokens and history; the old token still posts', async () => {
  assert.ok(s && token, 'needs the first test');
  const code = await s.stop();
  assert.equal(code, 0, `graceful exit code after SIGTERM\n${s.output()}`);
  s = await startSluice({ dataDir, apiKey });
  await expectState(range(101, 1600).map(line), 'after SIGTERM');
  await post(1601, 1610);
  await expectState(range(111, 1610).map(line), 'after posting with the old token');
});

test('kill -9 (1 s after the last line) keeps apps, tokens and history', async () => {
  assert.ok(s && token, 'needs the first test');
  await post(1611, 1650);
  await new Promise((r) => setTimeout(r, 1000));
  await s.kill9();
  s = await startSluice({ dataDir, apiKey });
  await expectState(range(151, 1650).map(line), 'after kill -9');
  await post(1651, 1651);
  await expectState(range(152, 1651).map(line), 'after kill -9 and a new post');
  await s.stop();
});
