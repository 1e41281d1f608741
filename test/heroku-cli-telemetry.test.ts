// The real Heroku CLI's telemetry commands against sluice, and telemetry drains delivering every line of
// the app as OTLP LogRecords (HTTP and gRPC), through a receiver outage without loss.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeFrame, rfc5424, sendTcp, startSluice, waitUntil, type Sluice } from './helpers/sluice.js';
import { requireHeroku, runHeroku } from './helpers/heroku-cli.js';
import { otlpGrpcReceiver, otlpHttpReceiver, type OtlpRecord } from './otel-receiver.js';
import { sleep } from './drains-support.js';

let s: Sluice;
before(async () => {
  s = await startSluice();
});
after(async () => {
  await s.stop();
});

const N = 1000;
const target = () => ({ url: s.url, apiKey: s.apiKey });
/** Lines of the app as three inputs send them: syslog TCP, logplex-1 POST /logs. */
async function sendLines(token: string, tag: string, n: number): Promise<void> {
  const half = n / 2;
  const tcp = Array.from({ length: half }, (_, i) => rfc5424(token, 'web.1', `${tag} ${i} ünïcode ✓`));
  await sendTcp(s.syslogPort, tcp.map(makeFrame).join(''));
  const frames = Array.from({ length: n - half }, (_, i) => rfc5424(token, 'worker.2', `${tag} ${half + i} ünïcode ✓`));
  for (let i = 0; i < frames.length; i += 100) {
    const r = await s.postLogs(token, frames.slice(i, i + 100).map(makeFrame));
    assert.equal(r.status, 204);
  }
}

function checkRecords(recs: OtlpRecord[], app: string, tag: string): void {
  const mine = recs.filter((r) => r.body?.startsWith(`${tag} `));
  const seen = new Set(mine.map((r) => r.body));
  assert.equal(seen.size, N, `distinct records: ${seen.size}`);
  for (const r of mine) {
    assert.equal(r.serviceName, app);
    assert.match(r.body!, new RegExp(`^${tag} \\d+ ünïcode ✓$`));
    assert.ok(r.instanceId === 'web.1' || r.instanceId === 'worker.2');
    assert.equal(r.severityNumber, 9); // <190> local7.info → INFO
    assert.equal(r.severityText, 'info');
    assert.equal(r.attributes['heroku.source'], 'app');
    assert.ok(BigInt(r.timeUnixNano) > 1_600_000_000_000_000_000n, r.timeUnixNano);
  }
  // Each input keeps its order.
  const idx = (d: string) => mine.filter((r) => r.instanceId === d).map((r) => Number(r.body!.split(' ')[1]));
  for (const d of ['web.1', 'worker.2']) {
    const list = idx(d);
    assert.deepEqual(list, [...list].sort((a, b) => a - b), `${d} in order`);
  }
}

test('heroku telemetry:add --transport http: every line as an OTLP LogRecord with the header; telemetry, info, update, remove', { timeout: 600_000 }, async (t) => {
  if (!(await requireHeroku(t))) return;
  const app = 'telhttp';
  const token = await s.createAppWithToken(app);
  const rx = await otlpHttpReceiver();
  const endpoint = `http://127.0.0.1:${rx.port}`;
  try {
    const add = await runHeroku(['telemetry:add', endpoint, '-a', app, '--signals', 'logs', '--transport', 'http', '--headers', '{"x-team":"k"}'], target());
    assert.equal(add.code, 0, add.stderr);
    assert.equal(add.stdout, `successfully added drain ${endpoint}\n`);
    const [drain] = (await s.api('GET', `/apps/${app}/telemetry-drains`)).body as Array<{ id: string }>;

    await sendLines(token, 'tel', N);
    assert.ok(await waitUntil(() => rx.records().filter((r) => r.body?.startsWith('tel ')).length >= N, 30_000), `got ${rx.records().length}`);
    checkRecords(rx.records(), app, 'tel');
    for (const e of rx.exports) {
      assert.equal(e.headers['x-team'], 'k');
      assert.equal(e.contentType, 'application/x-protobuf');
      assert.equal(e.contentEncoding, 'gzip');
    }
    // The API's own line about the change reached it too, as a heroku/api record.
    assert.ok(rx.records().some((r) => r.attributes['heroku.source'] === 'heroku' && r.instanceId === 'api'));

    const list = await runHeroku(['telemetry', '-a', app], target());
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout.split('\n');
    assert.equal(rows[0], `=== ${app} Telemetry Drains`);
    assert.match(rows[2], /^\s+ID\s+Signals\s+Endpoint$/);
    assert.match(rows[4], new RegExp(`^\\s+${drain.id}\\s+logs\\s+${endpoint}$`));

    const info = await runHeroku(['telemetry:info', drain.id], target());
    assert.equal(info.code, 0, info.stderr);
    assert.equal(info.stdout, `=== ${drain.id}\n\nApp:       ${app}\nSignals:   logs\nEndpoint:  ${endpoint}\nTransport: HTTP\nHeaders:   {"x-team":"k"}\n`);

    const upd = await runHeroku(['telemetry:update', drain.id, '--signals', 'logs,traces'], target());
    assert.equal(upd.code, 0, upd.stderr);
    assert.equal(upd.stdout, `=== ${drain.id}\n\nApp:       ${app}\nSignals:   logs, traces\nEndpoint:  ${endpoint}\nTransport: HTTP\nHeaders:   {"x-team":"k"}\n`);
    assert.match(upd.stderr, new RegExp(`Updating telemetry drain ${drain.id}\\.\\.\\. done`));

    const rm = await runHeroku(['telemetry:remove', drain.id], target());
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, '');
    assert.match(rm.stderr, new RegExp(`Removing telemetry drain ${drain.id}\\.\\.\\. done`));
    assert.equal((await s.api('GET', `/telemetry-drains/${drain.id}`)).status, 404);
    const none = await runHeroku(['telemetry', '-a', app], target());
    assert.equal(none.stdout, `There are no telemetry drains in ${app}\n`);
  } finally {
    await rx.close();
  }
});

test('receiver down for a minute: the lines wait in the queue and spool, then arrive, none lost', { timeout: 300_000 }, async () => {
  const app = 'teldown';
  const token = await s.createAppWithToken(app);
  let rx = await otlpHttpReceiver();
  const port = rx.port;
  const endpoint = `http://127.0.0.1:${port}`;
  const app0 = (await s.api('GET', `/apps/${app}`)).body as { id: string };
  const add = await s.api('POST', '/telemetry-drains', { exporter: { type: 'otlphttp', endpoint, headers: {} }, owner: { id: app0.id, type: 'app' }, signals: ['logs'] });
  assert.equal(add.status, 201, JSON.stringify(add.body));
  await rx.close();
  const downAt = Date.now();
  try {
    await sendLines(token, 'down', N);
    // A real minute of outage, with the default retry policy (backoff up to 60 s).
    await sleep(Math.max(0, 60_000 - (Date.now() - downAt)));
    type H = { state: string; queued: number; spool_lines: number; oldest_queued_age_ms: number | null; dropped: number; delivered: number };
    const h = ((await s.api('GET', `/telemetry-drains/${add.body.id}`)).body as { health: H }).health;
    assert.notEqual(h.state, 'delivering');
    assert.ok(h.queued >= N, JSON.stringify(h));
    assert.ok(h.spool_lines >= N, `spooled while the receiver is down: ${JSON.stringify(h)}`);
    assert.ok((h.oldest_queued_age_ms ?? 0) >= 50_000, JSON.stringify(h));
    rx = await otlpHttpReceiver(port);
    assert.ok(await waitUntil(() => rx.records().filter((r) => r.body?.startsWith('down ')).length >= N, 120_000), `got ${rx.records().length}`);
    checkRecords(rx.records(), app, 'down');
    assert.equal(rx.records().filter((r) => r.body?.startsWith('down ')).length, N, 'each line once');
    assert.ok(await waitUntil(async () => ((await s.api('GET', `/telemetry-drains/${add.body.id}`)).body as { health: H }).health.queued === 0, 10_000));
    const after = ((await s.api('GET', `/telemetry-drains/${add.body.id}`)).body as { health: H }).health;
    assert.equal(after.dropped, 0);
    assert.equal(after.state, 'delivering');
  } finally {
    await rx.close();
  }
});

test('heroku telemetry:add --transport grpc delivers to a gRPC OTLP receiver; traces pass through untouched', { timeout: 400_000 }, async (t) => {
  if (!(await requireHeroku(t))) return;
  const app = 'telgrpc';
  const token = await s.createAppWithToken(app);
  const rx = await otlpGrpcReceiver();
  const endpoint = `http://127.0.0.1:${rx.port}`;
  try {
    const add = await runHeroku(['telemetry:add', endpoint, '-a', app, '--transport', 'grpc', '--headers', '{"x-team":"g"}'], target());
    assert.equal(add.code, 0, add.stderr);
    const info = await runHeroku(['telemetry', '-a', app], target());
    assert.match(info.stdout, /traces,metrics,logs|traces, metrics, logs|traces,\s*metrics,\s*logs/);
    await sendLines(token, 'grpc', N);
    assert.ok(await waitUntil(() => rx.records().filter((r) => r.body?.startsWith('grpc ')).length >= N, 30_000), `got ${rx.records().length}`);
    checkRecords(rx.records(), app, 'grpc');
    assert.ok(rx.calls.every((c) => c.metadata['x-team'] === 'g'));

    // A traces request, opaque bytes to sluice, reaches the drain byte for byte.
    const traces = Buffer.from('0a0a120808011204deadbeef', 'hex');
    const r = await fetch(`${s.url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${token}` }, body: traces });
    assert.equal(r.status, 200);
    assert.ok(await waitUntil(() => rx.calls.some((c) => c.method.includes('TraceService')), 10_000));
    assert.deepEqual(rx.calls.find((c) => c.method.includes('TraceService'))!.body, traces);

    // OTLP/JSON cannot travel over gRPC undecoded: dropped, and the drop is counted in health and /metrics.
    const [drain] = (await s.api('GET', `/apps/${app}/telemetry-drains`)).body as Array<{ id: string }>;
    const j = await fetch(`${s.url}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{"resourceMetrics":[]}' });
    assert.equal(j.status, 200);
    assert.ok(await waitUntil(async () => (await s.api('GET', `/telemetry-drains/${drain.id}`)).body.health.dropped_requests === 1, 10_000));
    const metrics = (await s.api('GET', '/metrics')).body as string;
    assert.match(metrics, new RegExp(`sluice_drain_dropped_signal_requests_total\\{drain="${drain.id}",kind="otlp"\\} 1`));
    assert.equal(rx.calls.filter((c) => c.method.includes('MetricsService')).length, 0);

    const probe = await s.api('POST', `/telemetry-drains/${drain.id}/actions/test`);
    assert.equal(probe.status, 200);
    assert.equal(probe.body.ok, true, JSON.stringify(probe.body));
    assert.ok(rx.records().some((r) => r.body?.startsWith('Test message from Sluice')));
  } finally {
    await rx.close();
  }
});
