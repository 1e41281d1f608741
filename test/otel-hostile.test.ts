// Bad input on /v1/logs: each gets its documented answer, nothing is stored, and the server keeps serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import path from 'node:path';
import { repoRoot, startSluice, type Sluice } from './helpers/sluice.js';

const root = new protobuf.Root();
root.resolvePath = (_o, t) => path.join(repoRoot, 'proto', t);
root.loadSync('opentelemetry/proto/collector/logs/v1/logs_service.proto');
const Request = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
const Response = root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');

const APP = 'otelhostile';
let s: Sluice;
let token: string;
before(async () => {
  s = await startSluice();
  token = await s.createAppWithToken(APP);
});
after(async () => {
  await s.stop();
});

const encode = (bodies: string[], attrs = 0): Buffer =>
  Buffer.from(
    Request.encode(
      Request.fromObject({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: bodies.map((b) => ({
                  timeUnixNano: '1700000000123456789',
                  severityNumber: 17,
                  body: { stringValue: b },
                  attributes: Array.from({ length: attrs }, (_, i) => ({ key: `k${i}`, value: { intValue: i } })),
                })),
              },
            ],
          },
        ],
      }),
    ).finish(),
  );

async function post(body: Buffer, o: { type?: string; auth?: string; encoding?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': o.type ?? 'application/x-protobuf', Authorization: o.auth ?? `Bearer ${token}` };
  if (o.encoding) headers['Content-Encoding'] = o.encoding;
  const r = await fetch(`${s.url}/v1/logs`, { method: 'POST', headers, body });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

async function stored(): Promise<string[]> {
  return (await s.readLogs(APP, { lines: 1500 })).filter((l) => !l.includes('heroku[api]'));
}

test('valid protobuf: 200, empty response; severity and timestamp kept', async () => {
  const r = await post(encode(['first ok']));
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/x-protobuf');
  assert.deepEqual(Response.toObject(Response.decode(r.body)), {});
  const lines = await s.waitForLogs(APP, (l) => l.some((x) => x.includes('first ok')));
  assert.ok(lines.includes('2023-11-14T22:13:20.123456+00:00 app: first ok'), lines.join('\n'));
});

test('random bytes, truncated protobuf, bad JSON, wrong token, wrong type, 10 MiB, 100k attributes: documented answers, nothing stored', { timeout: 60_000 }, async () => {
  const before = await stored();
  // Random bytes: starts with a field of wire type 7 (invalid), so never a valid message.
  const rnd = await post(Buffer.concat([Buffer.from([0x0f]), randomBytes(4096)]));
  assert.equal(rnd.status, 400);
  const full = encode(['truncated record body that is long enough']);
  const trunc = await post(full.subarray(0, full.length - 7));
  assert.equal(trunc.status, 400);
  const json = await post(Buffer.from('{"resourceLogs": [ {'), { type: 'application/json' });
  assert.equal(json.status, 400);
  assert.equal((JSON.parse(json.body.toString()) as { code: number }).code, 3);
  const wrongType = await post(Buffer.from('{"resourceLogs": 5}'), { type: 'application/json' });
  assert.equal(wrongType.status, 400);
  const gz = await post(Buffer.from('not gzip'), { encoding: 'gzip' });
  assert.equal(gz.status, 400);
  const wrong = await post(encode(['wrong token']), { auth: 'Bearer t.00000000-0000-4000-8000-000000000000' });
  assert.equal(wrong.status, 401);
  const none = await post(encode(['no token']), { auth: '' });
  assert.equal(none.status, 401);
  const basic = await post(encode(['basic ok']), { auth: `Basic ${Buffer.from(`token:${token}`).toString('base64')}` });
  assert.equal(basic.status, 200);
  const mediaType = await post(encode(['text']), { type: 'text/plain' });
  assert.equal(mediaType.status, 415);
  const big = await post(Buffer.alloc(10 * 1024 * 1024, 0x41));
  assert.equal(big.status, 413);
  const bomb = await post(gzipSync(Buffer.alloc(20 * 1024 * 1024)), { encoding: 'gzip' });
  assert.equal(bomb.status, 413);

  // 100,000 attributes on one record: the record is rejected (partial success), the other kept.
  const many = encode(['too many attributes'], 100_000);
  const mixed = Buffer.concat([many, encode(['kept beside it'])]); // concatenated messages merge their repeated fields
  const partial = await post(mixed);
  assert.equal(partial.status, 200);
  const resp = Response.toObject(Response.decode(partial.body), { longs: Number }) as { partialSuccess: { rejectedLogRecords: number; errorMessage: string } };
  assert.equal(resp.partialSuccess.rejectedLogRecords, 1);
  assert.match(resp.partialSuccess.errorMessage, /100000 attributes/);

  await s.waitForLogs(APP, (l) => l.some((x) => x.includes('kept beside it')));
  const after = await stored();
  const added = after.slice(before.length).map((l) => l.slice(l.indexOf(': ') + 2));
  assert.deepEqual(added, ['basic ok', 'kept beside it']);
  // Still serving.
  assert.equal((await post(encode(['still here']))).status, 200);
  assert.equal((await s.api('GET', '/healthz')).status, 200);
});

test('OTLP/JSON with partial success in JSON; traces and metrics accepted with no drain', async () => {
  const body = JSON.stringify({
    resourceLogs: [{ resource: { attributes: [{ key: 'service.instance.id', value: { stringValue: 'worker.3' } }] }, scopeLogs: [{ logRecords: [
      { timeUnixNano: '1700000000000000000', severityNumber: 13, body: { stringValue: 'json warn' }, traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174' },
      { body: { stringValue: 'x'.repeat(20_000) } },
    ] }] }],
  });
  const r = await post(Buffer.from(body), { type: 'application/json' });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body.toString()), { partialSuccess: { rejectedLogRecords: '1', errorMessage: 'a log record body is longer than 10240 bytes' } });
  await s.waitForLogs(APP, (l) => l.includes('2023-11-14T22:13:20.000000+00:00 app[worker.3]: json warn'));
  for (const sig of ['traces', 'metrics']) {
    const t = await fetch(`${s.url}/v1/${sig}`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: '{}' });
    assert.equal(t.status, 200);
    assert.equal(await t.text(), '{}');
  }
});

test('over the app\'s rate limit: 429 with Retry-After, nothing of the request stored', { timeout: 60_000 }, async () => {
  const limited = await startSluice({ args: ['--rate-limit', '10'] });
  try {
    const tok = await limited.createAppWithToken('otelrate');
    const send = (n: number, tag: string) =>
      fetch(`${limited.url}/v1/logs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', Authorization: `Bearer ${tok}` },
        body: encode(Array.from({ length: n }, (_, i) => `${tag} ${i}`)),
      });
    const over = await send(20, 'over');
    assert.equal(over.status, 429);
    assert.match(over.headers.get('retry-after') ?? '', /^\d+$/);
    const ok = await send(5, 'fits');
    assert.equal(ok.status, 200);
    const lines = await limited.waitForLogs('otelrate', (l) => l.some((x) => x.includes('fits 4')));
    assert.equal(lines.filter((l) => l.includes('over ')).length, 0);
    assert.equal(lines.filter((l) => l.includes('fits ')).length, 5);
  } finally {
    await limited.stop();
  }
});
