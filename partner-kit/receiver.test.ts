// The partner kit against real HTTP requests shaped as Sluice sends them (SPEC §4.1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBasicAuth, createDrainReceiver, drainHandler, FrameIdSet, parseDrainBody, safeEqual, type DrainBatch } from './index.js';

const TOKEN = 'd.01234567-89ab-4def-8123-456789abcdef';
const frame = (msg: string): string => `${Buffer.byteLength(msg)} ${msg}`;
const line = (i: number): string => `<190>1 2024-05-01T12:00:0${i}.000000+00:00 host app web.${i} - hello ${i}\n`;

const batches: DrainBatch<{ id: string }>[] = [];
let failNext = false;
let server: http.Server;
let url = '';

before(async () => {
  server = http.createServer(
    drainHandler<{ id: string }>({
      authenticate: ({ drainToken, username, password, path }) =>
        safeEqual(drainToken, TOKEN) && username === 'drain' && password === 'pw' && path === '/drains/1' ? { id: '1' } : undefined,
      onBatch: (b) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        batches.push(b);
      },
      maxBodyBytes: 4096,
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/drains/1`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from('drain:pw').toString('base64')}`,
      'Content-Type': 'application/logplex-1',
      'Logplex-Drain-Token': TOKEN,
      ...headers,
    },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, text: await res.text() };
}

test('a batch is parsed into typed records and answered 204', async () => {
  batches.length = 0;
  const r = await post(frame(line(1)) + frame(line(2)), { 'Logplex-Msg-Count': '2', 'Logplex-Frame-Id': 'A'.repeat(32) });
  assert.equal(r.status, 204, r.text);
  assert.equal(batches.length, 1);
  const b = batches[0];
  assert.deepEqual(b.installation, { id: '1' });
  assert.equal(b.drainToken, TOKEN);
  assert.equal(b.frameId, 'A'.repeat(32));
  assert.deepEqual(b.records[0], {
    pri: 190, facility: 23, severity: 6, time: '2024-05-01T12:00:01.000000+00:00', hostname: 'host',
    source: 'app', procid: 'web.1', msgid: '-', message: 'hello 1',
  });
  assert.equal(b.records[1].message, 'hello 2');
});

test('a retried batch (same Logplex-Frame-Id) is accepted and not handed over twice', async () => {
  batches.length = 0;
  const id = 'B'.repeat(32);
  assert.equal((await post(frame(line(3)), { 'Logplex-Frame-Id': id })).status, 204);
  assert.equal((await post(frame(line(3)), { 'Logplex-Frame-Id': id })).status, 204);
  assert.equal(batches.length, 1);
});

test('a batch the partner failed to store answers 500 and is taken on the retry', async () => {
  batches.length = 0;
  failNext = true;
  const id = 'C'.repeat(32);
  assert.equal((await post(frame(line(4)), { 'Logplex-Frame-Id': id })).status, 500);
  assert.equal((await post(frame(line(4)), { 'Logplex-Frame-Id': id })).status, 204);
  assert.equal(batches.length, 1);
});

test('wrong credentials, missing token, wrong type, bad framing, count mismatch, too big, wrong method', async () => {
  const badAuth = await post(frame(line(1)), { Authorization: `Basic ${Buffer.from('drain:nope').toString('base64')}` });
  assert.equal(badAuth.status, 401);
  assert.equal((await post(frame(line(1)), { 'Logplex-Drain-Token': 'd.someone-else' })).status, 401);
  const noTok = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/logplex-1' }, body: frame(line(1)) });
  assert.equal(noTok.status, 401);
  assert.match(await noTok.text(), /Missing Logplex-Drain-Token/);
  assert.equal((await post(frame(line(1)), { 'Content-Type': 'text/plain' })).status, 415);
  const broken = await post('12 short');
  assert.equal(broken.status, 400);
  assert.match(broken.text, /frame 0: truncated/);
  const count = await post(frame(line(1)), { 'Logplex-Msg-Count': '3' });
  assert.equal(count.status, 400);
  assert.match(count.text, /Logplex-Msg-Count says 3, the body has 1 frames/);
  assert.equal((await post(frame('x'.repeat(5000)))).status, 413);
  assert.equal((await fetch(url, { method: 'GET' })).status, 405);
});

test('the framework-neutral receiver takes a Headers object and a string body', async () => {
  const got: string[] = [];
  const receive = createDrainReceiver({ authenticate: ({ drainToken }) => (drainToken === TOKEN ? true : undefined), onBatch: (b) => void got.push(...b.records.map((r) => r.message)) });
  const r = await receive({
    method: 'POST',
    headers: new Headers({ 'content-type': 'application/logplex-1', 'logplex-drain-token': TOKEN }),
    body: frame(line(5)),
  });
  assert.deepEqual(r, { status: 204, headers: {}, body: '' });
  assert.deepEqual(got, ['hello 5']);
});

test('parseDrainBody reports unreadable frames without losing the others', () => {
  const r = parseDrainBody(Buffer.from(frame('garbage') + frame(line(6))));
  assert.ok(r.ok);
  assert.equal(r.records.length, 1);
  assert.deepEqual(r.invalid.map((i) => [i.index, i.raw]), [[0, 'garbage']]);
});

test('FrameIdSet forgets after its TTL and stays bounded', () => {
  const set = new FrameIdSet(1000, 2);
  set.add('d', 'a', 0);
  assert.ok(set.has('d', 'a', 500));
  assert.ok(!set.has('d', 'a', 1500));
  set.add('d', 'a', 2000);
  set.add('d', 'b', 2000);
  set.add('d', 'c', 2000);
  assert.equal(set.size, 2);
  assert.ok(!set.has('d', 'a', 2000));
});

test('checkBasicAuth accepts exactly user:password', () => {
  const h = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  assert.ok(checkBasicAuth(h('log-search:pw:with:colons'), 'log-search', 'pw:with:colons'));
  assert.ok(!checkBasicAuth(h('log-search:pw'), 'log-search', 'pw2'));
  assert.ok(!checkBasicAuth(h('other:pw'), 'log-search', 'pw'));
  assert.ok(!checkBasicAuth('Bearer x', 'log-search', 'pw'));
  assert.ok(!checkBasicAuth(undefined, 'log-search', 'pw'));
});
