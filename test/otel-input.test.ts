// OTLP/HTTP input: the real OpenTelemetry JS SDK logs to /v1/logs (protobuf and JSON); lines show up in
// log sessions and `heroku logs` in order with UTF-8 intact, and reach a syslog drain.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, runProgram, runSluiceCli, startSluice, waitUntil, type Sluice } from './helpers/sluice.js';
import { requireHeroku, runHeroku } from './helpers/heroku-cli.js';
import { splitFrames, streamReceiver, type StreamReceiver } from './drains-support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CHILD = path.join(here, 'otel-sdk-child.js');
const N = 1000;
let s: Sluice;
let rx: StreamReceiver;

before(async () => {
  s = await startSluice();
  rx = await streamReceiver();
});
after(async () => {
  await s.stop();
  await rx.close();
});

async function sdkLogs(app: string, kind: 'proto' | 'http'): Promise<string> {
  const token = await s.createAppWithToken(app);
  const r = await runProgram(process.execPath, [CHILD, s.url, token, String(N), kind], { env: childEnv(), timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.equal(r.stdout, `done ${N}\n`);
  return token;
}

const expected = (kind: string): string[] => Array.from({ length: N }, (_, i) => `record ${i} ✓ héllo 日本語 ${kind}`);

test('1,000 SDK records over OTLP protobuf: in the log session in order, UTF-8 intact, and in a syslog drain', { timeout: 120_000 }, async () => {
  const app = 'otelproto';
  const token = await s.createAppWithToken(app);
  const d = await s.api('POST', `/apps/${app}/log-drains`, { url: `syslog://127.0.0.1:${rx.port}` });
  assert.equal(d.status, 201);
  const r = await runProgram(process.execPath, [CHILD, s.url, token, String(N), 'proto'], { env: childEnv(), timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);

  const lines = await s.waitForLogs(app, (l) => l.filter((x) => x.includes('record ')).length >= N, { lines: 1500 });
  const records = lines.filter((x) => x.includes('record '));
  assert.equal(records.length, N);
  records.forEach((l, i) => {
    // `<RFC 3339 with microseconds> app[web.1]: <body>`: the token's name, the dyno from service.instance.id.
    assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[web\.1\]: /);
    assert.equal(l.slice(l.indexOf(': ') + 2), expected('proto')[i]);
  });

  const frames = () => splitFrames(rx.data()).filter((f) => f.includes('record '));
  assert.ok(await waitUntil(() => frames().length >= N, 20_000), `syslog drain got ${frames().length}`);
  const got = frames();
  got.forEach((f, i) => {
    // WARN → syslog warning (4), INFO → info (6), facility local7.
    const pri = i % 10 === 0 ? 188 : 190;
    assert.ok(f.startsWith(`<${pri}>1 `), f);
    assert.ok(f.includes(` app web.1 - - ${expected('proto')[i]}`), f);
  });
});

test('1,000 SDK records over OTLP/JSON: in `sluice logs` and `heroku logs` in order', { timeout: 400_000 }, async (t) => {
  const app = 'oteljson';
  await sdkLogs(app, 'http');
  const lines = await s.waitForLogs(app, (l) => l.filter((x) => x.includes('record ')).length >= N, { lines: 1500 });
  assert.deepEqual(
    lines.filter((x) => x.includes('record ')).map((l) => l.slice(l.indexOf(': ') + 2)),
    expected('http'),
  );
  const sl = await runSluiceCli(['logs', '-a', app, '-n', '1500'], { url: s.url, apiKey: s.apiKey }, 30_000);
  assert.equal(sl.code, 0, sl.stderr);
  assert.deepEqual(
    sl.stdout.split('\n').filter((l) => l.includes('record ')).map((l) => l.slice(l.indexOf(': ') + 2)),
    expected('http'),
  );
  if (!(await requireHeroku(t))) return;
  const h = await runHeroku(['logs', '-a', app, '-n', '1500'], { url: s.url, apiKey: s.apiKey }, { timeoutMs: 60_000 });
  assert.equal(h.code, 0, h.stderr);
  const out = h.stdout.split('\n').filter((l) => l.includes('record '));
  assert.deepEqual(out.map((l) => l.slice(l.indexOf(': ') + 2)), expected('http'));
  assert.match(out[0], / app\[web\.1\]: record 0 /);
});
