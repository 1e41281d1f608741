// Hostile input on every listener (SPEC §3.1, §3.2, §10): bad requests are refused with the right
// status, nothing from a rejected request is stored, and the process keeps serving.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { gzipSync } from 'node:zlib';
import { randomBytes, randomUUID } from 'node:crypto';
import { startSluice, makeFrame, rfc5424, sendTcp, sendUdp, waitUntil, type Sluice } from './helpers/sluice.js';

const APP = 'hostile';
let s: Sluice;
let token = '';
let k = 0;

before(async () => {
  s = await startSluice();
  token = await s.createAppWithToken(APP, 'app');
});
after(async () => {
  await s?.stop();
});

const frame = (msg: string, procid = 'web.1'): string => makeFrame(rfc5424(token, procid, msg));
const basic = (tok: string): string => `Basic ${Buffer.from(`token:${tok}`).toString('base64')}`;
const marker = (what: string): string => `${what}-${randomUUID().slice(0, 8)}`;

/** The server is up: a good POST gets 204 and shows up in history (≤ 5 s). Returns that history. */
async function alive(label: string): Promise<string[]> {
  assert.equal(s.proc.exitCode, null, `${label}: sluice exited\n${s.output()}`);
  assert.equal(s.proc.signalCode, null, `${label}: sluice died\n${s.output()}`);
  const m = `alive-${label}-${++k}`;
  const r = await s.postLogs(token, [frame(m)]);
  assert.equal(r.status, 204, `${label}: good POST after it: ${r.status} ${r.body}`);
  const lines = await s.waitForLogs(APP, (ls) => ls.some((l) => l.endsWith(` app[web.1]: ${m}`)), { timeoutMs: 5_000 });
  assert.ok(lines.some((l) => l.endsWith(` app[web.1]: ${m}`)), `${label}: good line not in history`);
  return lines;
}

/** Like alive(), over syslog: a good line on a new TCP (or UDP) connection arrives. */
async function aliveSyslog(label: string, via: 'tcp' | 'udp' = 'tcp'): Promise<string[]> {
  const m = `alive-syslog-${label}-${++k}`;
  if (via === 'tcp') {
    const r = await sendTcp(s.syslogPort, `${rfc5424(token, 'web.2', m)}\n`);
    assert.equal(r.error, undefined, `${label}: good syslog connection failed: ${r.error}`);
  } else {
    await sendUdp(s.syslogPort, [rfc5424(token, 'web.2', m)]);
  }
  const lines = await s.waitForLogs(APP, (ls) => ls.some((l) => l.endsWith(` app[web.2]: ${m}`)), { timeoutMs: 5_000 });
  assert.ok(lines.some((l) => l.endsWith(` app[web.2]: ${m}`)), `${label}: good syslog line not in history`);
  return alive(label);
}

function assertNotStored(lines: string[], m: string): void {
  const hits = lines.filter((l) => l.includes(m));
  assert.deepEqual(hits, [], `nothing from the rejected request (${m}) may be stored`);
}

function assertOneLine(body: unknown, label: string): void {
  assert.equal(typeof body, 'string', `${label}: text body`);
  const t = (body as string).replace(/\r?\n$/, '');
  assert.ok(t.length > 0, `${label}: body says what is wrong`);
  assert.ok(!t.includes('\n'), `${label}: one-line body, got ${JSON.stringify(body)}`);
}

interface RawResult {
  status: number;
  body: string;
  error?: string;
}

/**
 * POST /logs with node:http so that a server that answers early (413) and closes is handled: we
 * resolve on the response, and a write error before any response gives status 0.
 */
function rawPost(headers: Record<string, string>, body: Buffer | Buffer[], timeoutMs = 10_000): Promise<RawResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: RawResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ status: 0, body: '', error: 'timeout' }), timeoutMs);
    const req = http.request({ host: '127.0.0.1', port: s.httpPort, method: 'POST', path: '/logs', headers, agent: false });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (e) => {
      // An answer may still be on its way after EPIPE/ECONNRESET on our side.
      setTimeout(() => done({ status: 0, body: '', error: e.message }), 500);
    });
    const parts = Array.isArray(body) ? body : [body];
    (async () => {
      for (const p of parts) {
        if (settled || req.destroyed) return;
        if (!req.write(p)) {
          await new Promise<void>((r) => {
            const go = (): void => {
              req.off('drain', go);
              req.off('close', go);
              r();
            };
            req.on('drain', go);
            req.on('close', go);
          });
        }
      }
      if (!settled && !req.destroyed) req.end();
    })().catch(() => {});
  });
}

// ----------------------------------------------------------------------------------------------
// POST /logs

test('POST /logs: a malformed frame → 400 naming the frame index; nothing stored', async () => {
  const m = marker('malformed');
  const cases: Array<{ name: string; body: string; index: number }> = [
    // frame 2 has a non-numeric length
    { name: 'non-digit length', body: frame(`${m} a`) + frame(`${m} b`) + `xx ${rfc5424(token, 'web.1', m)}` + frame(`${m} d`), index: 2 },
    // frame 1 declares more bytes than remain
    { name: 'length beyond the body', body: frame(`${m} a`) + `500 ${rfc5424(token, 'web.1', `${m} b`)}`, index: 1 },
    // frame 1 has no space after the length
    { name: 'no space', body: frame(`${m} a`) + `12${rfc5424(token, 'web.1', m)}`, index: 1 },
    // frame 1 has a leading zero
    { name: 'leading zero', body: frame(`${m} a`) + `0${frame(`${m} b`)}`, index: 1 },
  ];
  for (const c of cases) {
    const r = await s.postLogs(token, Buffer.from(c.body));
    assert.equal(r.status, 400, `${c.name}: ${r.status} ${r.body}`);
    assertOneLine(r.body, c.name);
    // 0-based or 1-based, but the index must be named.
    assert.match(r.body, new RegExp(`\\b(${c.index}|${c.index + 1})\\b`), `${c.name}: body names frame ${c.index}: ${r.body}`);
  }
  assertNotStored(await alive('malformed'), m);
});

test('POST /logs: Logplex-Msg-Count mismatch → 400; nothing stored', async () => {
  const m = marker('count');
  for (const n of ['3', '1', 'abc']) {
    const r = await s.postLogs(token, [frame(`${m} a`), frame(`${m} b`)], { 'Logplex-Msg-Count': n });
    assert.equal(r.status, 400, `count ${n}: ${r.status} ${r.body}`);
    assertOneLine(r.body, `count ${n}`);
  }
  const ok = await s.postLogs(token, [frame(`ok-count-${m}`)], { 'Logplex-Msg-Count': '1' });
  assert.equal(ok.status, 204, 'a matching count is fine');
  assertNotStored(await alive('count'), `: ${m} `);
});

test('POST /logs: unknown token and no auth → 401; wrong content type → 415; nothing stored', async () => {
  const m = marker('auth');
  const body = Buffer.from(frame(m));
  const unknown = await rawPost({ Authorization: basic(`t.${randomUUID()}`), 'Content-Type': 'application/logplex-1' }, body);
  assert.equal(unknown.status, 401, `unknown token: ${unknown.status} ${unknown.body}`);
  assertOneLine(unknown.body, 'unknown token');
  const none = await rawPost({ 'Content-Type': 'application/logplex-1' }, body);
  assert.equal(none.status, 401, `no auth: ${none.status} ${none.body}`);
  assertOneLine(none.body, 'no auth');
  const garbage = await rawPost({ Authorization: 'Basic !!!notbase64', 'Content-Type': 'application/logplex-1' }, body);
  assert.equal(garbage.status, 401, `garbage auth: ${garbage.status} ${garbage.body}`);
  for (const ct of ['text/plain', 'application/json']) {
    const r = await rawPost({ Authorization: basic(token), 'Content-Type': ct }, body);
    assert.equal(r.status, 415, `${ct}: ${r.status} ${r.body}`);
    assertOneLine(r.body, ct);
  }
  const noCt = await rawPost({ Authorization: basic(token) }, body);
  assert.equal(noCt.status, 415, `no content type: ${noCt.status} ${noCt.body}`);
  // The alternate type is accepted.
  const alt = await rawPost({ Authorization: basic(token), 'Content-Type': 'application/x-logplex-1' }, Buffer.from(frame(`alt-${m}`)));
  assert.equal(alt.status, 204, `application/x-logplex-1: ${alt.status} ${alt.body}`);
  const lines = await alive('auth');
  assertNotStored(lines, `: ${m}`);
  assert.ok(lines.some((l) => l.endsWith(`: alt-${m}`)));
});

/**
 * A request over a raw socket that keeps reading while it writes, like curl: a server that answers
 * 413 early and closes is seen answering. `chunked` sends the body with Transfer-Encoding: chunked
 * instead of Content-Length.
 */
function rawSocketPost(
  headers: Record<string, string>,
  body: Buffer,
  chunked: boolean,
  o: { timeoutMs?: number; delayBodyMs?: number } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port: s.httpPort });
    let got = Buffer.alloc(0);
    let settled = false;
    const done = (error?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      const text = got.toString('utf8');
      const m = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (!m) return resolve({ status: 0, body: text, error: error ?? 'no HTTP response' });
      let resBody = m[3];
      if (/^transfer-encoding: *chunked/im.test(m[2])) {
        // good enough for a one-line body in one chunk
        resBody = resBody.replace(/^[0-9a-f]+\r\n/i, '').replace(/\r\n0\r\n\r\n$/, '').replace(/\r\n$/, '');
      }
      resolve({ status: Number(m[1]), body: resBody, error });
    };
    const timer = setTimeout(() => done('timeout'), o.timeoutMs ?? 10_000);
    sock.on('data', (c: Buffer) => {
      got = Buffer.concat([got, c]);
      // A complete response with a Content-Length: stop here.
      const text = got.toString('utf8');
      const h = text.indexOf('\r\n\r\n');
      const cl = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, h));
      if (h >= 0 && cl && Buffer.byteLength(text.slice(h + 4)) >= Number(cl[1])) done();
    });
    sock.on('error', (e) => setTimeout(() => done(e.message), 300));
    sock.on('close', () => done());
    sock.once('connect', async () => {
      const hdr = { Host: '127.0.0.1', ...headers, ...(chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(body.length) }) };
      sock.write(`POST /logs HTTP/1.1\r\n${Object.entries(hdr).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      if (o.delayBodyMs) await new Promise((r) => setTimeout(r, o.delayBodyMs));
      // Lockstep, like a careful client: one piece at a time, and stop as soon as an answer has
      // arrived. (node destroys a socket on a write error without reading what is already there,
      // so blasting the whole body would lose an early 413 to our own client, not to the server.)
      for (let off = 0; off < body.length && !settled && !sock.destroyed && got.length === 0; off += 64 * 1024) {
        const piece = body.subarray(off, off + 64 * 1024);
        const data = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
        await new Promise<void>((r) => sock.write(data, () => setImmediate(r)));
      }
      if (chunked && !settled && !sock.destroyed && got.length === 0) sock.write('0\r\n\r\n');
    });
  });
}

const bigBody = (m: string): Buffer => {
  const one = frame(`${m} ${'x'.repeat(1000)}`);
  return Buffer.from(one.repeat(Math.ceil((10 * 1024 * 1024) / one.length)));
};

test('POST /logs: a 10 MiB body → 413 (declared Content-Length, and chunked); nothing stored', async () => {
  const m = marker('big');
  const body = bigBody(m);
  const hdr = { Authorization: basic(token), 'Content-Type': 'application/logplex-1' };
  // Declared too big: the answer comes from the headers alone (we hold the body back for 1 s).
  const r = await rawSocketPost(hdr, body, false, { delayBodyMs: 1_000 });
  assert.equal(r.status, 413, `Content-Length ${body.length}: ${r.status} ${r.body} ${r.error ?? ''}`);
  assertOneLine(r.body, '413');
  // Chunked: the server has to count, and answers while we are still sending. It then closes
  // without lingering, so our own (node) socket can hit a reset before it reads the answer: an
  // attempt may end in a reset, but at least one of three must see the 413 and none anything else.
  const attempts: RawResult[] = [];
  for (let i = 0; i < 3 && !attempts.some((a) => a.status === 413); i++) {
    attempts.push(await rawSocketPost(hdr, body, true));
  }
  const c = attempts.find((a) => a.status === 413);
  assert.ok(c, `chunked 10 MiB: ${attempts.map((a) => `${a.status} ${a.body} ${a.error ?? ''}`).join(' | ')}`);
  assert.ok(attempts.every((a) => a.status === 413 || a.status === 0), 'only 413 or a reset');
  assertOneLine(c.body, '413 chunked');
  // node's own http client, which gives up reading when its write fails: whatever it sees, the
  // server must go on.
  await rawPost({ ...hdr, 'Content-Length': String(body.length) }, body);
  assertNotStored(await alive('big'), m);
});

test('POST /logs: bad gzip → 400, nothing stored; a valid gzip body → 204 and stored', async () => {
  const m = marker('gzip');
  const hdr = { Authorization: basic(token), 'Content-Type': 'application/logplex-1', 'Content-Encoding': 'gzip' };
  const bad = await rawPost(hdr, randomBytes(300));
  assert.equal(bad.status, 400, `random bytes as gzip: ${bad.status} ${bad.body}`);
  assertOneLine(bad.body, 'bad gzip');
  // A valid gzip header followed by a truncated stream of real frames.
  const gz = gzipSync(Buffer.from(frame(`${m} trunc a`) + frame(`${m} trunc b`)));
  const trunc = await rawPost(hdr, gz.subarray(0, gz.length - 12));
  assert.equal(trunc.status, 400, `truncated gzip: ${trunc.status} ${trunc.body}`);
  // A gzip bomb-ish body: 20 MiB of zeros compresses to ~20 KiB; must be refused, not inflated.
  const bomb = await rawPost(hdr, gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x30)));
  assert.ok([400, 413].includes(bomb.status), `gzip bomb: ${bomb.status} ${bomb.body}`);

  const good = await rawPost(hdr, gzipSync(Buffer.from(frame(`good-${m} 1`) + frame(`good-${m} 2 é🎉`))));
  assert.equal(good.status, 204, `valid gzip: ${good.status} ${good.body}`);
  const lines = await alive('gzip');
  assertNotStored(lines, `${m} trunc`);
  assert.ok(lines.some((l) => l.endsWith(`app[web.1]: good-${m} 1`)), 'first gzip line stored');
  assert.ok(lines.some((l) => l.endsWith(`app[web.1]: good-${m} 2 é🎉`)), 'second gzip line stored');
});

test('POST /logs: slow clients that stall do not block other requests', async () => {
  const m = marker('slow');
  const socks: net.Socket[] = [];
  const closed: boolean[] = [];
  try {
    const payload = frame(`${m} slow`);
    for (let i = 0; i < 5; i++) {
      const sock = net.connect({ host: '127.0.0.1', port: s.httpPort });
      sock.on('error', () => {});
      const idx = socks.push(sock) - 1;
      closed[idx] = false;
      sock.on('close', () => (closed[idx] = true));
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(
        'POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          `Authorization: ${basic(token)}\r\nContent-Type: application/logplex-1\r\n` +
          `Content-Length: ${Buffer.byteLength(payload) + 50}\r\n\r\n`,
      );
    }
    // One more that never finishes its headers.
    const half = net.connect({ host: '127.0.0.1', port: s.httpPort });
    half.on('error', () => {});
    socks.push(half);
    half.write('POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty');
    // Trickle a few bytes of the body, then stall.
    for (let b = 0; b < 3; b++) {
      for (const sock of socks.slice(0, 5)) sock.write(payload.slice(b * 4, b * 4 + 4));
      await new Promise((r) => setTimeout(r, 150));
    }
    const t0 = Date.now();
    const lines = await alive('slow');
    assert.ok(Date.now() - t0 < 5_000, 'other requests are served while slow clients stall');
    assertNotStored(lines, m);
    // The server may close stalled clients after a timeout; we do not wait for it beyond 2 s.
    await waitUntil(() => closed.every(Boolean), 2_000);
  } finally {
    for (const sock of socks) sock.destroy();
  }
  await new Promise((r) => setTimeout(r, 200));
  assertNotStored(await alive('slow-after'), m);
});

test('POST /logs: a truncated body (Content-Length 1000, 100 bytes sent, then close) stores nothing', async () => {
  const m = marker('trunc');
  let body = '';
  while (Buffer.byteLength(body) < 100) body += frame(`${m} ${body.length}`);
  const head = Buffer.from(body).subarray(0, 100);
  for (const how of ['end', 'destroy'] as const) {
    await new Promise<void>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port: s.httpPort });
      sock.on('error', () => resolve());
      sock.on('close', () => resolve());
      const timer = setTimeout(() => {
        sock.destroy();
        resolve();
      }, 3_000);
      sock.once('connect', () => {
        sock.write(
          'POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            `Authorization: ${basic(token)}\r\nContent-Type: application/logplex-1\r\nContent-Length: 1000\r\n\r\n`,
        );
        sock.write(head, () => {
          setTimeout(() => {
            clearTimeout(timer);
            if (how === 'end') sock.end();
            else sock.destroy();
            setTimeout(resolve, 300);
          }, 100);
        });
      });
    });
  }
  assertNotStored(await alive('trunc'), m);
});

test('HTTP port: random bytes, a non-HTTP line and a huge header do not hurt it', async () => {
  await sendTcp(s.httpPort, randomBytes(256 * 1024), { timeoutMs: 3_000 });
  await sendTcp(s.httpPort, 'HELLO THERE\r\n\r\n', { timeoutMs: 3_000 });
  const big = await sendTcp(
    s.httpPort,
    `POST /logs HTTP/1.1\r\nHost: x\r\nX-Junk: ${'j'.repeat(128 * 1024)}\r\n\r\n`,
    { timeoutMs: 3_000 },
  );
  void big;
  await alive('http-junk');
});

test('Logplex-Frame-Id repeated within 10 minutes for the same token → 204 both times, stored once', async () => {
  const m = marker('frameid');
  const id = randomBytes(16).toString('hex').toUpperCase();
  const frames = [frame(`${m} one`), frame(`${m} two`)];
  for (let i = 0; i < 2; i++) {
    const r = await s.postLogs(token, frames, { 'Logplex-Frame-Id': id, 'Logplex-Msg-Count': '2' });
    assert.equal(r.status, 204, `attempt ${i + 1}: ${r.status} ${r.body}`);
  }
  let lines = await alive('frameid');
  assert.deepEqual(
    lines.filter((l) => l.includes(m)).map((l) => l.replace(/^\S+ /, '')),
    [`app[web.1]: ${m} one`, `app[web.1]: ${m} two`],
  );
  // A different Frame-Id is a different batch.
  const other = await s.postLogs(token, frames, { 'Logplex-Frame-Id': randomBytes(16).toString('hex').toUpperCase() });
  assert.equal(other.status, 204);
  lines = await alive('frameid-2');
  assert.equal(lines.filter((l) => l.includes(m)).length, 4);
  // A rejected request does not burn its Frame-Id: the retry that is good is stored.
  const m2 = marker('frameid-rejected');
  const id2 = randomBytes(16).toString('hex').toUpperCase();
  const bad = await s.postLogs(token, [frame(`${m2} a`)], { 'Logplex-Frame-Id': id2, 'Logplex-Msg-Count': '5' });
  assert.equal(bad.status, 400);
  const retry = await s.postLogs(token, [frame(`${m2} a`)], { 'Logplex-Frame-Id': id2, 'Logplex-Msg-Count': '1' });
  assert.equal(retry.status, 204);
  lines = await alive('frameid-3');
  assert.equal(lines.filter((l) => l.includes(m2)).length, 1, 'the good retry after a rejected attempt is stored');
});

// ----------------------------------------------------------------------------------------------
// Syslog TCP

test('syslog TCP: 1 MiB of random bytes, then a good line on a new connection', async () => {
  const junk = randomBytes(1024 * 1024);
  const r = await sendTcp(s.syslogPort, [junk.subarray(0, 512 * 1024), junk.subarray(512 * 1024)], { timeoutMs: 5_000 });
  void r; // the server may close on us; either way it must keep serving
  await aliveSyslog('random-bytes');
});

test('syslog TCP: a length prefix of 99999999999', async () => {
  const m = marker('hugelen');
  const r = await sendTcp(s.syslogPort, [`99999999999 ${rfc5424(token, 'web.1', m)}`, 'x'.repeat(64 * 1024)], {
    timeoutMs: 3_000,
    lingerMs: 500,
  });
  void r;
  assertNotStored(await aliveSyslog('hugelen'), m);
});

test('syslog TCP: a 1 MiB line without a newline does not block other connections', async () => {
  const sock = net.connect({ host: '127.0.0.1', port: s.syslogPort });
  sock.on('error', () => {});
  try {
    await new Promise<void>((r, j) => {
      sock.once('connect', () => r());
      sock.once('error', j);
    });
    const big = Buffer.alloc(1024 * 1024, 'a');
    big.write(`<190>1 - host ${token} web.1 - - `);
    await new Promise<void>((r) => {
      const timer = setTimeout(r, 3_000);
      sock.write(big, () => {
        clearTimeout(timer);
        r();
      });
    });
    // While that connection holds an unterminated 1 MiB line, others are served.
    await aliveSyslog('long-line-open');
  } finally {
    sock.destroy();
  }
  await aliveSyslog('long-line-closed');
});

test('syslog TCP: many connections opened and dropped', async () => {
  const m = marker('drop');
  const all: Array<Promise<void>> = [];
  for (let i = 0; i < 300; i++) {
    all.push(
      new Promise<void>((resolve) => {
        const sock = net.connect({ host: '127.0.0.1', port: s.syslogPort });
        const timer = setTimeout(() => {
          sock.destroy();
          resolve();
        }, 5_000);
        const end = (): void => {
          clearTimeout(timer);
          resolve();
        };
        sock.on('error', end);
        sock.on('close', end);
        sock.once('connect', () => {
          if (i % 3 === 1) sock.write(`123 <190>1 - host ${token} web.1 - - ${m}`);
          if (i % 3 === 2) sock.resetAndDestroy();
          else sock.destroy();
        });
      }),
    );
  }
  await Promise.all(all);
  assertNotStored(await aliveSyslog('many-connections'), m);
});

// ----------------------------------------------------------------------------------------------
// Syslog UDP

test('syslog UDP: random datagrams and a 64 KB datagram', async () => {
  const dgrams: Buffer[] = [];
  for (let i = 0; i < 200; i++) dgrams.push(randomBytes(1 + Math.floor(Math.random() * 1400)));
  dgrams.push(Buffer.from(''));
  dgrams.push(Buffer.from('<999>1 broken'));
  dgrams.push(Buffer.from(`<190>1 - host t.${randomUUID()} web.1 - - unknown token`));
  await sendUdp(s.syslogPort, dgrams);
  await sendUdp(s.syslogPort, [randomBytes(65_000)]);
  // A 64 KB datagram that is a real message: stored (maybe split) or dropped, never fatal.
  const big = Buffer.alloc(65_000, 'b');
  big.write(`<190>1 - host ${token} web.1 - - big-udp `);
  await sendUdp(s.syslogPort, [big]);
  await aliveSyslog('udp', 'udp');
});
