// The server's own log: named events for start, rejected input, auth failures and shutdown, no secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../src/server.js';
import { formatPretty } from '../src/telemetry/pretty.js';
import { assertNoSecrets, capturingLogger, findSecrets, SecretSet } from './helpers/log-scan.js';
import { makeFrame, rfc5424, sendTcp, startSluice } from './helpers/sluice.js';

type Event = Record<string, unknown> & { event?: string; level?: string; msg?: string };

function events(text: string): Event[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Event);
}

test('a served node logs JSON events: start with the console URL, rejections and auth failures summarised, shutdown', async () => {
  const s = await startSluice();
  const token = await s.createAppWithToken('logged');
  // A drain whose URL holds a password and a query secret: neither may reach the log.
  const drain = await s.api('POST', '/apps/logged/log-drains', { url: 'https://user:drainpassword1@127.0.0.1:9/in?key=querysecret1' });
  assert.equal(drain.status, 201, JSON.stringify(drain.body));
  // Bad input of three kinds, each several times.
  for (let i = 0; i < 3; i++) {
    assert.equal((await s.postLogs(token, ['not a frame'])).status, 400);
    assert.equal((await s.postLogs(`t.${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, [makeFrame(rfc5424(token, 'web.1', 'x'))])).status, 401);
    const wrongKey = await fetch(`${s.url}/apps`, { headers: { Authorization: 'Bearer sk_wrong_key_0123456789abcdef' } });
    assert.equal(wrongKey.status, 401);
  }
  await sendTcp(s.syslogPort, '12 <garbage!!>\n');
  await s.stop();

  const log = events(s.log());
  const started = log.find((e) => e.event === 'started');
  assert.ok(started, s.log());
  assert.equal(started.level, 'info');
  assert.equal(started.http, s.httpPort);
  assert.equal(started.syslog, s.syslogPort);
  assert.equal(started.mode, 'embedded');
  assert.equal(started.dataDir, s.dataDir);
  assert.equal(started.consoleUrl, `http://127.0.0.1:${s.httpPort}/console`);

  const rejected = log.filter((e) => e.event === 'input_rejected');
  const count = (transport: string, reason: string): number =>
    rejected.filter((e) => e.transport === transport && e.reason === reason).reduce((n, e) => n + Number(e.count), 0);
  assert.equal(count('http', 'malformed'), 3, JSON.stringify(rejected));
  assert.equal(count('http', 'unauthorized'), 3, JSON.stringify(rejected));
  assert.ok(count('tcp', 'malformed') >= 1, JSON.stringify(rejected));
  assert.ok(rejected.every((e) => e.level === 'warn'));
  // Summaries, not a line per request: one per (transport, reason) in the interval.
  assert.equal(rejected.filter((e) => e.transport === 'http' && e.reason === 'malformed').length, 1);

  const auth = log.filter((e) => e.event === 'auth_failed');
  assert.deepEqual(
    auth.map((e) => [e.where, e.remote, e.count]).sort(),
    [
      ['api', '127.0.0.1', 3],
      ['logs', '127.0.0.1', 3],
    ],
  );

  const steps = log.filter((e) => e.event === 'shutdown').map((e) => e.step);
  assert.deepEqual(steps, ['closing listeners', 'delivering what drains hold', 'writing history']);
  const stopped = log.find((e) => e.event === 'stopped');
  assert.ok(stopped && typeof stopped.durationMs === 'number');
  // The harness scanned the output on stop; the drain's secrets were learned from the request.
  assert.deepEqual(findSecrets(s.log(), s.secrets), []);
  assert.ok([...s.secrets].includes('drainpassword1') && [...s.secrets].includes('querysecret1'));
});

test('the secret scan catches each kind of leak', () => {
  const known = new SecretSet();
  known.addUrl('https://u:hunter2hunter2@example.com/x?token=abcdefgh');
  assert.equal(findSecrets('{"msg":"drain https://[redacted]@example.com/x?token=[redacted]"}', known).length, 0);
  assert.equal(findSecrets('{"msg":"token t.[redacted] and sk_[redacted]"}').length, 0);
  assert.equal(findSecrets('unknown token t.0f8fad5b-d9cb-469f-a165-70867728950e').length, 1);
  assert.equal(findSecrets('key sk_3SQ3mOU24S-4ydZ55-s2ifGX5pyeE6l95us8g4dFXGI').length, 1);
  assert.equal(findSecrets('redis://:pa55word@10.0.0.1:6379').length, 1);
  assert.equal(findSecrets('failed: ?token=abcdefgh', known).length, 1);
  assert.throws(() => assertNoSecrets('x hunter2hunter2 y', known, 'test'), /secrets/);
});

test('in process: startServer with a capturing logger logs start and stop, and nothing secret', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-log-'));
  const cap = capturingLogger();
  const apiKey = 'sk_inprocess_0123456789abcdef0123';
  try {
    const server = await startServer({ logger: cap.logger, host: '127.0.0.1', httpPort: 0, syslogPort: 0, dataDir, apiKey, maxBodyBytes: 1 << 20, maxMessageBytes: 10240 });
    const base = `http://127.0.0.1:${server.httpPort}`;
    assert.equal((await fetch(`${base}/apps`, { headers: { Authorization: `Bearer ${apiKey}x` } })).status, 401);
    await server.stop();
    const log = events(cap.text());
    assert.ok(log.some((e) => e.event === 'started' && e.http === server.httpPort));
    assert.ok(log.some((e) => e.event === 'auth_failed' && e.where === 'api' && e.count === 1));
    assert.ok(log.some((e) => e.event === 'stopped'));
    assertNoSecrets(cap.text(), [apiKey], 'startServer');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('--log-format pretty: one readable line per event', async () => {
  const s = await startSluice({ args: ['--log-format', 'pretty'] });
  await s.stop();
  assert.match(s.log(), /^\d\d:\d\d:\d\d\.\d{3} INFO {2}sluice \S+ listening: http=\d+ syslog=\d+; console at http:\/\/127\.0\.0\.1:\d+\/console {2}event=started /m);
  assert.doesNotMatch(s.log(), /^\{"level"/m);
  assert.equal(formatPretty('{"level":"warn","time":"2026-01-01T12:00:01.234Z","name":"sluice","msg":"m","n":3,"s":"a b"}'), '12:00:01.234 WARN  m  n=3 s="a b"\n');
});
