// Telemetry drains on the durable drain queue: spooled through a stop and a restart (counters kept),
// budgets drop the oldest with an L10 LogRecord, and the egress address rules refuse OTLP endpoints.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { DrainRecord, TelemetryConfig } from '../src/store/records.js';
import { freePort, harness, l10Count, logLine, removeDir, tmpDir, until, type Harness } from './drains-support.js';
import { makeFrame, rfc5424, startSluice, type Sluice } from './helpers/sluice.js';
import { otlpGrpcReceiver, otlpHttpReceiver, type OtlpRecord } from './otel-receiver.js';

interface Rx {
  records(): OtlpRecord[];
  close(): Promise<void>;
}
const receivers: Record<TelemetryConfig['type'], (port: number) => Promise<Rx>> = { otlphttp: otlpHttpReceiver, otlp: otlpGrpcReceiver };

function addTelemetryDrain(h: Harness, type: TelemetryConfig['type'], endpoint: string, signals: TelemetryConfig['signals'] = ['logs']): Promise<DrainRecord> {
  const telemetry: TelemetryConfig = { type, endpoint, headers: { 'x-team': 'q' }, signals };
  return h.addDrain(`${type}:${endpoint}`, { telemetry });
}

/** The numbers of the `q <n>` records a receiver got, in arrival order. */
const numbers = (rx: Rx, tag: string): number[] => rx.records().flatMap((r) => (r.body?.startsWith(`${tag} `) ? [Number(r.body.slice(tag.length + 1))] : []));

for (const type of ['otlphttp', 'otlp'] as const) {
  test(`${type}: receiver down, lines spooled, stop, restart, receiver up: every line once, in order, counters kept`, { timeout: 90_000 }, async () => {
    const dir = tmpDir('sluice-otlp-queue-');
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    let rx: Rx | undefined = await receivers[type](port);
    // A generous request timeout: a loaded machine must not turn a slow answer into a resend
    // (delivery is at-least-once; this test counts exactly-once on a healthy receiver).
    const options = { requestTimeoutMs: 15_000 };
    let h = await harness({ dir, options });
    const appId = h.appId;
    try {
      const d = await addTelemetryDrain(h, type, endpoint);
      for (let i = 0; i < 100; i++) h.manager.deliver(appId, logLine(`${type} ${i}`));
      assert.ok(await until(() => h.manager.health(d.id)?.delivered === 100, 20_000), JSON.stringify(h.manager.health(d.id)));
      const before = numbers(rx, type);
      await rx.close();
      rx = undefined;
      for (let i = 100; i < 2_100; i++) h.manager.deliver(appId, logLine(`${type} ${i}`));
      // The receiver is down: the lines go to the spool, and the health says so.
      assert.ok(await until(() => (h.manager.health(d.id)?.spool_lines ?? 0) >= 2_000 && h.manager.health(d.id)?.state !== 'delivering', 20_000), JSON.stringify(h.manager.health(d.id)));
      const down = h.manager.health(d.id)!;
      assert.notEqual(down.state, 'delivering');
      assert.equal(down.queued, 2_000);
      assert.ok(down.queued_bytes > 2_000 * 50 && down.oldest_queued_age_ms !== null, JSON.stringify(down));
      await h.stop(200);

      rx = await receivers[type](port);
      h = await harness({ dir, appId, options });
      assert.ok(await until(() => numbers(rx!, type).length >= 2_000, 30_000), `got ${numbers(rx, type).length}`);
      const got = [...before, ...numbers(rx, type)];
      assert.deepEqual(got, Array.from({ length: 2_100 }, (_, i) => i), 'every line once, in order');
      assert.ok(rx.records().every((r) => r.serviceName?.startsWith('app-')));
      assert.ok(await until(() => h.manager.health(d.id)?.delivered === 2_100, 10_000), JSON.stringify(h.manager.health(d.id)));
      const health = h.manager.health(d.id)!;
      assert.equal(health.dropped, 0);
      assert.equal(health.queued, 0);
      assert.equal(health.state, 'delivering');
    } finally {
      await h.close();
      await rx?.close();
      removeDir(dir);
    }
  });
}

test('otlphttp: past --drain-memory-bytes (no spool) the oldest go, counted, and an L10 LogRecord tells the receiver', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const h = await harness({ memoryOnly: true, queue: { memoryBytes: 32 * 1024 }, options: { requestTimeoutMs: 15_000 } });
  let rx: Rx | undefined;
  try {
    const d = await addTelemetryDrain(h, 'otlphttp', `http://127.0.0.1:${port}`);
    for (let i = 0; i < 1_000; i++) h.manager.deliver(h.appId, logLine(`budget ${i}`));
    const dropped = h.manager.health(d.id)!.dropped;
    assert.ok(dropped > 0 && dropped < 1_000, `dropped ${dropped}`);
    rx = await otlpHttpReceiver(port);
    assert.ok(await until(() => numbers(rx!, 'budget').length === 1_000 - dropped, 20_000), `got ${numbers(rx, 'budget').length}`);
    const got = numbers(rx, 'budget');
    // The newest survive, in order; the oldest went.
    assert.deepEqual(got, Array.from({ length: 1_000 - dropped }, (_, i) => dropped + i));
    const l10 = rx.records().filter((r) => l10Count(r.body ?? '') > 0);
    assert.equal(l10.length, 1);
    assert.equal(l10Count(l10[0].body!), dropped);
    assert.equal(l10[0].attributes['heroku.source'], 'heroku');
    assert.ok(await until(() => h.manager.health(d.id)!.delivered === 1_000 - dropped), JSON.stringify(h.manager.health(d.id)));
  } finally {
    await h.close();
    await rx?.close();
  }
});

test('a telemetry drain that asked for traces only gets no lines; one that asked for logs gets them', { timeout: 30_000 }, async () => {
  const h = await harness({ memoryOnly: true, options: { requestTimeoutMs: 15_000 } });
  const logsRx = await otlpHttpReceiver();
  const tracesRx = await otlpHttpReceiver();
  try {
    const logs = await addTelemetryDrain(h, 'otlphttp', `http://127.0.0.1:${logsRx.port}`, ['logs']);
    const traces = await addTelemetryDrain(h, 'otlphttp', `http://127.0.0.1:${tracesRx.port}`, ['traces']);
    for (let i = 0; i < 50; i++) h.manager.deliver(h.appId, logLine(`sig ${i}`));
    assert.ok(await until(() => numbers(logsRx, 'sig').length === 50));
    const body = Buffer.from('0a0a120808011204deadbeef', 'hex');
    assert.equal(h.manager.forward(h.appId, { signal: 'traces', body, contentType: 'application/x-protobuf', contentEncoding: undefined }), 1);
    assert.equal(h.manager.forward(h.appId, { signal: 'metrics', body, contentType: 'application/x-protobuf', contentEncoding: undefined }), 0);
    assert.ok(await until(() => tracesRx.exports.some((e) => e.path === '/v1/traces')));
    assert.deepEqual(tracesRx.exports.find((e) => e.path === '/v1/traces')!.raw, body);
    assert.equal(tracesRx.exports.filter((e) => e.path === '/v1/logs').length, 0);
    assert.equal(h.manager.health(traces.id)!.queued, 0);
    assert.ok(await until(() => h.manager.health(logs.id)!.delivered === 50));
    assert.equal(logsRx.exports.filter((e) => e.path !== '/v1/logs').length, 0, 'the logs-only drain got no traces');
  } finally {
    await h.close();
    await logsRx.close();
    await tracesRx.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Egress address rules

test('OTLP endpoints past the creation check are never dialled at a link-local address, in any spelling', { timeout: 30_000 }, async () => {
  const h = await harness({ memoryOnly: true });
  try {
    const ids: string[] = [];
    for (const type of ['otlphttp', 'otlp'] as const) {
      for (const endpoint of ['http://[::ffff:169.254.169.254]:4318', 'http://169.254.169.254:4318', 'http://[fe80::1]:4318']) {
        ids.push((await addTelemetryDrain(h, type, endpoint)).id);
      }
    }
    for (let i = 0; i < 5; i++) h.manager.deliver(h.appId, logLine(`meta ${i}`));
    const why = (id: string): string => h.manager.health(id)?.last_error ?? '';
    assert.ok(await until(() => ids.every((id) => /is a link-local address .*; drains to it are never allowed/.test(why(id)))), ids.map(why).join(' | '));
    for (const id of ids) {
      const t = await h.manager.test(id);
      assert.equal(t?.ok, false);
      assert.match(t?.error ?? '', /link-local address/);
      assert.equal(h.manager.health(id)!.delivered, 0);
    }
  } finally {
    await h.close();
  }
});

test('with private drains denied, OTLP drains to loopback receivers are never dialled', { timeout: 30_000 }, async () => {
  const h = await harness({ memoryOnly: true, options: { denyPrivate: true } });
  const web = await otlpHttpReceiver();
  const grpc = await otlpGrpcReceiver();
  try {
    const a = await addTelemetryDrain(h, 'otlphttp', `http://localhost:${web.port}`);
    const b = await addTelemetryDrain(h, 'otlp', `http://127.0.0.1:${grpc.port}`);
    for (let i = 0; i < 5; i++) h.manager.deliver(h.appId, logLine(`private ${i}`));
    const why = (id: string): string => h.manager.health(id)?.last_error ?? '';
    assert.ok(await until(() => [a.id, b.id].every((id) => /loopback or private address .*this server denies private drains/.test(why(id)))), `${why(a.id)} | ${why(b.id)}`);
    assert.equal(web.exports.length + grpc.calls.length, 0, 'no receiver was contacted');
  } finally {
    await h.close();
    await web.close();
    await grpc.close();
  }
});

let s: Sluice;
before(async () => {
  s = await startSluice();
});
after(async () => {
  await s.stop();
});

test('POST /telemetry-drains refuses http://[::ffff:169.254.169.254] (and other link-local spellings) for both exporter types', { timeout: 30_000 }, async () => {
  await s.createAppWithToken('otelguard');
  const app = (await s.api('GET', '/apps/otelguard')).body as { id: string };
  for (const type of ['otlphttp', 'otlp']) {
    for (const endpoint of ['http://[::ffff:169.254.169.254]', 'http://[::ffff:a9fe:a9fe]:4318', 'http://2852039166/']) {
      const r = await s.api('POST', '/telemetry-drains', { exporter: { type, endpoint, headers: {} }, owner: { id: app.id, type: 'app' }, signals: ['logs'] });
      assert.equal(r.status, 422, `${type} ${endpoint}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.message, /link-local address \(169\.254\.169\.254.*never allowed/, r.body.message);
    }
  }
  // PATCH to such an endpoint is refused the same way.
  const ok = await s.api('POST', '/telemetry-drains', { exporter: { type: 'otlphttp', endpoint: 'http://127.0.0.1:9', headers: {} }, owner: { id: app.id, type: 'app' }, signals: ['logs'] });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  const patch = await s.api('PATCH', `/telemetry-drains/${ok.body.id}`, { exporter: { endpoint: 'http://[::ffff:169.254.169.254]' } });
  assert.equal(patch.status, 422);
  assert.equal((await s.api('GET', '/apps/otelguard/telemetry-drains')).body.length, 1);
});

test('/v1/traces and /v1/metrics pass through untouched only to the drains that asked; logs only to the logs drain', { timeout: 30_000 }, async () => {
  const token = await s.createAppWithToken('otelsig');
  const app = (await s.api('GET', '/apps/otelsig')).body as { id: string };
  const logsRx = await otlpHttpReceiver();
  const sigRx = await otlpHttpReceiver();
  try {
    const add = (port: number, signals: string[]) =>
      s.api('POST', '/telemetry-drains', { exporter: { type: 'otlphttp', endpoint: `http://127.0.0.1:${port}`, headers: {} }, owner: { id: app.id, type: 'app' }, signals });
    assert.equal((await add(logsRx.port, ['logs'])).status, 201);
    assert.equal((await add(sigRx.port, ['metrics', 'traces'])).status, 201);
    const post = (path: string, body: Buffer, type: string, encoding?: string) =>
      fetch(`${s.url}${path}`, { method: 'POST', headers: { 'Content-Type': type, Authorization: `Bearer ${token}`, ...(encoding ? { 'Content-Encoding': encoding } : {}) }, body });
    const metrics = gzipSync(Buffer.from('0a0412020a00', 'hex'));
    assert.equal((await post('/v1/metrics', metrics, 'application/x-protobuf', 'gzip')).status, 200);
    const traces = Buffer.from('{"resourceSpans":[]}');
    assert.equal((await post('/v1/traces', traces, 'application/json')).status, 200);
    assert.ok(await until(() => sigRx.exports.length >= 2), JSON.stringify(sigRx.exports.map((e) => e.path)));
    const m = sigRx.exports.find((e) => e.path === '/v1/metrics')!;
    assert.deepEqual(m.raw, metrics);
    assert.equal(m.contentEncoding, 'gzip');
    assert.equal(m.contentType, 'application/x-protobuf');
    const t = sigRx.exports.find((e) => e.path === '/v1/traces')!;
    assert.deepEqual(t.raw, traces);
    assert.equal(t.contentType, 'application/json');
    // Logs: the logs drain gets them (the API's lines about the new drains too), the signals drain none.
    const r = await s.postLogs(token, [makeFrame(rfc5424(token, 'web.1', 'only for logs'))]);
    assert.equal(r.status, 204);
    assert.ok(await until(() => logsRx.records().some((x) => x.body === 'only for logs')));
    assert.equal(logsRx.exports.filter((e) => e.path !== '/v1/logs').length, 0);
    assert.deepEqual(sigRx.exports.map((e) => e.path).sort(), ['/v1/metrics', '/v1/traces']);
  } finally {
    await logsRx.close();
    await sigRx.close();
  }
});

test('passed-through traces/metrics past 8 MiB while the receiver is down go to the spool, survive a restart, and arrive byte for byte in order', { timeout: 90_000 }, async () => {
  const dir = tmpDir('sluice-otlp-signals-');
  const port = await freePort();
  let h = await harness({ dir, options: { requestTimeoutMs: 15_000 } });
  const appId = h.appId;
  let rx: Awaited<ReturnType<typeof otlpHttpReceiver>> | undefined;
  // 300 requests of 40 KiB (12 MiB): more than memory holds for them, all different.
  const bodies = Array.from({ length: 300 }, (_, i) => Buffer.concat([Buffer.from(`trace ${String(i).padStart(4, '0')} `), randomBytes(40 << 10)]));
  try {
    const d = await addTelemetryDrain(h, 'otlphttp', `http://127.0.0.1:${port}`, ['traces', 'metrics']);
    bodies.forEach((body, i) => h.manager.forward(appId, { signal: i % 3 ? 'traces' : 'metrics', body, contentType: 'application/x-protobuf', contentEncoding: undefined }));
    assert.ok(await until(() => (h.manager.signalStats(d.id)?.spool_bytes ?? 0) > 4 << 20, 20_000), JSON.stringify(h.manager.signalStats(d.id)));
    assert.equal(h.manager.signalStats(d.id)?.queued, 300);
    assert.equal(h.manager.signalStats(d.id)?.dropped, 0);
    await h.stop(200);

    rx = await otlpHttpReceiver(port);
    h = await harness({ dir, appId, options: { requestTimeoutMs: 15_000 } });
    assert.ok(await until(() => rx!.exports.length >= 300, 30_000), `got ${rx.exports.length}`);
    assert.equal(rx.exports.length, 300, 'each request once');
    rx.exports.forEach((e, i) => {
      assert.equal(e.path, i % 3 ? '/v1/traces' : '/v1/metrics');
      assert.equal(e.contentType, 'application/x-protobuf');
      assert.ok(e.raw.equals(bodies[i]), `request ${i} arrived as sent`);
    });
    assert.ok(await until(() => h.manager.signalStats(d.id)?.queued === 0, 10_000));
    assert.equal(h.manager.signalStats(d.id)?.dropped, 0);
  } finally {
    await h.close();
    await rx?.close();
    removeDir(dir);
  }
});
