// The Platform API in one process: auth and scoping, apps, tokens, sessions, SSE, audit lines, L11.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../src/server.js';

const KEY = 'test-admin-key';
let server: RunningServer;
let base: string;
let dir: string;

async function call(method: string, path: string, body?: unknown, key = KEY, extra: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Accept: 'application/vnd.heroku+json; version=3', ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

function frame(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}

async function post(token: string, msgs: string[]): Promise<number> {
  const res = await fetch(`${base}/logs`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`token:${token}`).toString('base64')}`, 'Content-Type': 'application/logplex-1' },
    body: msgs.map(frame).join(''),
  });
  await res.arrayBuffer();
  return res.status;
}

async function sessionText(app: string, opts: Record<string, unknown> = {}, accept = 'text/plain'): Promise<string> {
  const s = await call('POST', `/apps/${app}/log-sessions`, opts);
  assert.equal(s.status, 201);
  const res = await fetch(String(s.body?.logplex_url), { headers: { Accept: accept } });
  assert.equal(res.status, 200);
  return res.text();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-api-'));
  server = await startServer({
    host: '127.0.0.1',
    httpPort: 0,
    syslogPort: 0,
    dataDir: dir,
    apiKey: KEY,
    maxBodyBytes: 1 << 20,
    maxMessageBytes: 10240,

  });
  base = `http://127.0.0.1:${server.httpPort}`;
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('auth', () => {
  test('no key or a wrong key is 401 with a Heroku error body and a Request-Id', async () => {
    const res = await fetch(`${base}/apps`);
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { id: 'unauthorized', message: 'Invalid credentials provided.' });
    assert.ok(res.headers.get('request-id'));
    assert.equal((await call('GET', '/apps', undefined, 'nope')).status, 401);
  });

  test('only version 3 of the Heroku media type is spoken (any 3.x variant)', async () => {
    const get = (accept: string) => fetch(`${base}/apps`, { headers: { Authorization: `Bearer ${KEY}`, Accept: accept } });
    assert.equal((await get('application/vnd.heroku+json; version=3.sdk')).status, 200);
    assert.equal((await get('application/json')).status, 200);
    const old = await get('application/vnd.heroku+json; version=2');
    assert.equal(old.status, 406);
    assert.equal(((await old.json()) as { id: string }).id, 'not_acceptable');
  });

  test('Basic auth with the key as password is accepted', async () => {
    const res = await fetch(`${base}/apps`, { headers: { Authorization: `Basic ${Buffer.from(`:${KEY}`).toString('base64')}` } });
    assert.equal(res.status, 200);
  });

  test('a key limited to one app sees and changes only that app', async () => {
    await call('POST', '/apps', { name: 'mine' });
    await call('POST', '/apps', { name: 'theirs' });
    const k = await call('POST', '/api-keys', { name: 'ci-bot', apps: ['mine'] });
    assert.equal(k.status, 201);
    const limited = String(k.body?.key);
    const list = await call('GET', '/apps', undefined, limited);
    assert.deepEqual((list.body as unknown as { name: string }[]).map((a) => a.name), ['mine']);
    assert.equal((await call('GET', '/apps/theirs', undefined, limited)).status, 404);
    assert.equal((await call('POST', '/apps/theirs/log-tokens', { name: 'app' }, limited)).status, 404);
    assert.equal((await call('POST', '/apps/mine/log-tokens', { name: 'worker' }, limited)).status, 201);
    assert.equal((await call('POST', '/apps', { name: 'other' }, limited)).status, 403);
    assert.equal((await call('DELETE', '/apps/mine', undefined, limited)).status, 403);
    assert.equal((await call('GET', '/api-keys', undefined, limited)).status, 403);
    // The audit line names the key, never its secret.
    const text = await sessionText('mine', { source: 'heroku' });
    assert.match(text, /heroku\[api\]: Log token "worker" created by ci-bot\n/);
    assert.ok(!text.includes(limited));
  });
});

describe('apps and tokens', () => {
  test('create, show by name or id, reject bad and duplicate names', async () => {
    const a = await call('POST', '/apps', { name: 'shop' });
    assert.equal(a.status, 201);
    assert.deepEqual(a.body?.generation, { name: 'cedar' });
    assert.equal((await call('GET', `/apps/${String(a.body?.id)}`)).body?.name, 'shop');
    const bad = await call('POST', '/apps', { name: 'Bad Name' });
    assert.equal(bad.status, 422);
    assert.equal(bad.body?.id, 'invalid_params');
    assert.match(String(bad.body?.message), /^name: must start with a letter/);
    assert.equal((await call('POST', '/apps', { name: 'shop' })).status, 409);
    assert.deepEqual((await call('GET', '/apps/nope')).body, { id: 'not_found', message: "Couldn't find that app.", resource: 'app' });
  });

  test('a create with an Idempotency-Key sent again answers with the app it made, not 409', async () => {
    const key = { 'Idempotency-Key': 'b7d0c3a2-5e41-4f7e-9a39-0f3a4c1d2e5f' };
    const first = await call('POST', '/apps', { name: 'twice' }, KEY, key);
    assert.equal(first.status, 201);
    const again = await call('POST', '/apps', { name: 'twice' }, KEY, key);
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.equal(again.body?.id, first.body?.id);
    const tokens = (await call('GET', '/apps/twice/log-tokens')).body as unknown as { name: string }[];
    assert.deepEqual(tokens.map((t) => t.name), ['app'], 'one `app` token, not one per attempt');
    // Without the key, or with another one, the name is taken as before.
    assert.equal((await call('POST', '/apps', { name: 'twice' })).status, 409);
    assert.equal((await call('POST', '/apps', { name: 'twice' }, KEY, { 'Idempotency-Key': 'another' })).status, 409);
    // The same key for another name is a mistake, said as one.
    const other = await call('POST', '/apps', { name: 'thrice' }, KEY, key);
    assert.equal(other.status, 422);
    assert.match(String(other.body?.message), /already created the app twice/);
    // A generated name is the same on every attempt.
    const anon = { 'Idempotency-Key': 'anonymous-1' };
    const n1 = await call('POST', '/apps', {}, KEY, anon);
    const n2 = await call('POST', '/apps', {}, KEY, anon);
    assert.equal(n1.status, 201);
    assert.equal(n2.body?.name, n1.body?.name);
    for (const bad of ['has space', 'x'.repeat(256)]) {
      const r = await call('POST', '/apps', { name: 'never' }, KEY, { 'Idempotency-Key': bad });
      assert.equal(r.status, 422);
      assert.match(String(r.body?.message), /Idempotency-Key must be/);
    }
  });

  test('a new app has an `app` token that writes lines under that source', async () => {
    await call('POST', '/apps', { name: 'tok-app' });
    const tokens = (await call('GET', '/apps/tok-app/log-tokens')).body as unknown as { name: string; token: string }[];
    assert.equal(tokens[0].name, 'app');
    assert.match(tokens[0].token, /^t\.[0-9a-f-]{36}$/);
    assert.equal(await post(tokens[0].token, ['<190>1 2026-01-01T00:00:00+00:00 h t.whatever web.1 - - hi']), 204);
    assert.equal(await sessionText('tok-app', { source: 'app' }), '2026-01-01T00:00:00+00:00 app[web.1]: hi\n');
  });

  test('deleting a token stops it writing; deleting the app removes its history', async () => {
    await call('POST', '/apps', { name: 'gone' });
    const t = await call('POST', '/apps/gone/log-tokens', { name: 'extra' });
    const token = String(t.body?.token);
    assert.equal(await post(token, ['<190>1 2026-01-01T00:00:00+00:00 h x web.1 - - before']), 204);
    assert.equal((await call('DELETE', '/apps/gone/log-tokens/extra')).status, 200);
    assert.equal(await post(token, ['<190>1 2026-01-01T00:00:00+00:00 h x web.1 - - after']), 401);
    assert.equal((await call('DELETE', '/apps/gone')).status, 200);
    assert.equal((await call('GET', '/apps/gone')).status, 404);
    await call('POST', '/apps', { name: 'gone' });
    assert.equal(await sessionText('gone', { source: 'extra' }), '');
  });
});

describe('log sessions', () => {
  let token = '';
  before(async () => {
    await call('POST', '/apps', { name: 'sess' });
    token = ((await call('GET', '/apps/sess/log-tokens')).body as unknown as { token: string }[])[0].token;
    const msgs = [];
    for (let i = 1; i <= 10; i++) msgs.push(`<190>1 2026-01-01T00:00:0${i % 10}+00:00 h x ${i % 2 ? 'web.1' : 'worker.2'} - - n${i}`);
    msgs.push('<190>1 2026-01-01T00:00:00+00:00 h x - - - no procid');
    msgs.push('<190>1 2026-01-01T00:00:00+00:00 h x web.1 - - ends in newline\n');
    assert.equal(await post(token, msgs), 204);
  });

  test('lines, filters and the session text format', async () => {
    assert.equal(
      await sessionText('sess', { lines: 2 }),
      '2026-01-01T00:00:00+00:00 app: no procid\n2026-01-01T00:00:00+00:00 app[web.1]: ends in newline\n',
    );
    const workers = await sessionText('sess', { dyno: 'worker', lines: 100 });
    assert.deepEqual(workers.trim().split('\n').map((l) => l.split(': ')[1]), ['n2', 'n4', 'n6', 'n8', 'n10']);
    assert.equal(await sessionText('sess', { type: 'worker', lines: 1 }), '2026-01-01T00:00:00+00:00 app[worker.2]: n10\n');
    assert.equal(await sessionText('sess', { dyno_name: 'web.1', lines: 1 }), '2026-01-01T00:00:00+00:00 app[web.1]: ends in newline\n');
    assert.equal(await sessionText('sess', { source: 'nobody' }), '');
  });

  test('SSE: one event per line with an id; the stream ends after the history without tail', async () => {
    const text = await sessionText('sess', { lines: 2 }, 'text/event-stream');
    assert.equal(
      text,
      'id: 1\ndata: 2026-01-01T00:00:00+00:00 app: no procid\n\nid: 2\ndata: 2026-01-01T00:00:00+00:00 app[web.1]: ends in newline\n\n',
    );
  });

  test('bad session parameters are 422; a wrong secret or unknown session is 404', async () => {
    assert.equal((await call('POST', '/apps/sess/log-sessions', { lines: -1 })).status, 422);
    assert.equal((await call('POST', '/apps/sess/log-sessions', { tail: 'maybe' })).status, 422);
    const s = await call('POST', '/apps/sess/log-sessions', {});
    const url = new URL(String(s.body?.logplex_url));
    url.searchParams.set('secret', 'wrong');
    assert.equal((await fetch(url)).status, 404);
    assert.equal((await fetch(`${base}/sessions/00000000-0000-4000-8000-000000000000?secret=x`)).status, 404);
  });

  test('tail: history then live lines; the tail ends when the client leaves', async () => {
    const s = await call('POST', '/apps/sess/log-sessions', { tail: true, lines: 1, dyno: 'web' });
    const res = await fetch(String(s.body?.logplex_url), { headers: { Accept: 'text/event-stream' } });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let got = '';
    const until = async (needle: string) => {
      const deadline = Date.now() + 5000;
      while (!got.includes(needle) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        got += dec.decode(value);
      }
    };
    await until('ends in newline');
    assert.equal(await post(token, ['<190>1 2026-01-01T00:00:00+00:00 h x worker.1 - - skipped', '<190>1 2026-01-01T00:00:00+00:00 h x web.2 - - live!']), 204);
    await until('live!');
    assert.ok(!got.includes('skipped'), 'the dyno filter applies to live lines');
    assert.match(got, /id: 2\ndata: 2026-01-01T00:00:00\+00:00 app\[web\.2\]: live!\n\n/);
    await reader.cancel();
  });
});

describe('slow readers', () => {
  test('a tail that stops reading loses lines, not memory, and is told with one L11 line', async () => {
    await call('POST', '/apps', { name: 'flood' });
    const token = ((await call('GET', '/apps/flood/log-tokens')).body as unknown as { token: string }[])[0].token;
    const s = await call('POST', '/apps/flood/log-sessions', { tail: true, lines: 0 });
    const url = new URL(String(s.body?.logplex_url));
    // A raw client that reads nothing until the server's socket buffer is full.
    const req = http.get({ host: '127.0.0.1', port: server.httpPort, path: `${url.pathname}${url.search}` });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    res.pause();
    const pad = 'x'.repeat(900);
    let sent = 0;
    for (let b = 0; b < 40; b++) {
      const msgs = [];
      for (let i = 0; i < 500; i++) msgs.push(`<190>1 2026-01-01T00:00:00+00:00 h x web.1 - - ${sent++} ${pad}`);
      assert.equal(await post(token, msgs), 204);
    }
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.resume();
    const deadline = Date.now() + 10_000;
    while (!text.includes(`- - ${sent - 1} `) && !text.includes(`: ${sent - 1} `) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    req.destroy();
    const lines = text.trim().split('\n');
    const l11 = lines.filter((l) => l.includes('Error L11'));
    assert.equal(l11.length, 1, 'exactly one L11 line');
    const m = /heroku\[logplex\]: Error L11 \(Tail buffer overflow\) -> This tail session dropped (\d+) messages since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\.$/.exec(l11[0]);
    assert.ok(m, l11[0]);
    const received = lines.length - 1;
    assert.equal(received + Number(m[1]), sent, 'received + dropped = sent');
    assert.ok(lines.at(-1)?.includes(`: ${sent - 1} `), 'the newest line arrives');
  });
});
