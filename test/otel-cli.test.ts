// `sluice telemetry`, `telemetry:add`, `telemetry:info`, `telemetry:update`, `telemetry:remove`, with the drain's health.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSluiceCli, startSluice, waitUntil, type Sluice } from './helpers/sluice.js';
import { otlpHttpReceiver, type OtlpHttpReceiver } from './otel-receiver.js';

let s: Sluice;
let rx: OtlpHttpReceiver;
before(async () => {
  s = await startSluice();
  rx = await otlpHttpReceiver();
});
after(async () => {
  await s.stop();
  await rx.close();
});

test('sluice telemetry commands manage telemetry drains and show their health; header values stay hidden', { timeout: 180_000 }, async () => {
  const app = 'otelcli';
  await s.createAppWithToken(app);
  const cli = (args: string[]) => runSluiceCli(args, { url: s.url, apiKey: s.apiKey });
  const endpoint = `http://127.0.0.1:${rx.port}`;

  const empty = await cli(['telemetry', '-a', app]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, `${app} has no telemetry drains. Add one with \`sluice telemetry:add ENDPOINT -a ${app}\`.\n`);

  const add = await cli(['telemetry:add', endpoint, '-a', app, '--signals', 'logs', '--headers', '{"x-api-key":"s3cret"}']);
  assert.equal(add.code, 0, add.stderr);
  const m = /^Added telemetry drain ([0-9a-f-]{36}) → (\S+) \(logs\)\n$/.exec(add.stdout);
  assert.ok(m, add.stdout);
  const id = m[1];
  assert.equal(m[2], endpoint);

  // The audit line of the change travels to the drain itself.
  assert.ok(await waitUntil(() => rx.records().length > 0, 15_000));
  assert.equal(rx.exports[0].headers['x-api-key'], 's3cret');
  assert.ok(await waitUntil(async () => (await cli(['telemetry', '-a', app])).stdout.includes('delivered 1'), 10_000));
  const list = await cli(['telemetry', '-a', app]);
  assert.match(list.stdout, new RegExp(`^=== ${app} Telemetry Drains\n\n${id}  HTTP  logs  ${endpoint}\n  delivering · delivered \\d+ · dropped 0 · queued 0 · last success `));
  assert.doesNotMatch(list.stdout, /s3cret/);

  // `sluice drains` lists the telemetry drain next to the app's log drains, with the same health line.
  const logDrain = await cli(['drains:add', `http://127.0.0.1:${rx.port}/plain`, '-a', app]);
  assert.equal(logDrain.code, 0, logDrain.stderr);
  assert.ok(await waitUntil(async () => (await cli(['drains', '-a', app])).stdout.split('delivered 0').length === 1, 10_000));
  const both = await cli(['drains', '-a', app]);
  assert.equal(both.code, 0, both.stderr);
  const esc = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const health = '  delivering · delivered \\d+ · dropped 0 · queued 0 · last success \\S+\n';
  const want = `^=== Drains\n\n${esc(`http://127.0.0.1:${rx.port}/plain`)} \\(d\\.[0-9a-f-]{36}\\)\n${health}\n=== Telemetry Drains\n\n${esc(`${endpoint} (OTLP/HTTP, logs, ${id})`)}\n${health}$`;
  assert.match(both.stdout, new RegExp(want), both.stdout);
  assert.doesNotMatch(both.stdout, /s3cret/);
  assert.equal((await cli(['drains:remove', `http://127.0.0.1:${rx.port}/plain`, '-a', app])).code, 0);

  const info = await cli(['telemetry:info', id]);
  assert.match(info.stdout, new RegExp(`^=== ${id}\n\nApp:       ${app}\nSignals:   logs\nEndpoint:  ${endpoint}\nTransport: HTTP\nHeaders:   x-api-key \\(values hidden; --show-headers\\)\n`));
  assert.doesNotMatch(info.stdout, /s3cret/);
  assert.match((await cli(['telemetry:info', id, '--show-headers'])).stdout, /Headers: {3}\{"x-api-key":"s3cret"\}/);

  const upd = await cli(['telemetry:update', id, '--signals', 'logs,metrics', '--transport', 'grpc']);
  assert.equal(upd.code, 0, upd.stderr);
  assert.match(upd.stdout, /Signals: {3}logs, metrics\nEndpoint: {2}\S+\nTransport: gRPC\n/);
  // A drain that passes metrics through also shows its passed-through requests.
  assert.match((await cli(['telemetry:info', id])).stdout, /\nHealth: {2}.* · traces\/metrics requests queued \d+, dropped 0\n/);
  const bad = await cli(['telemetry:update', id, '--signals', 'spans']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--signals: use a comma-separated list/);

  const rm = await cli(['telemetry:remove', '-a', app]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, `Removed telemetry drain ${id} (${endpoint})\n`);
  assert.equal((await cli(['telemetry', '-a', app])).stdout, empty.stdout);
  // The server never logged the header value.
  assert.doesNotMatch(s.output(), /s3cret/);
});
