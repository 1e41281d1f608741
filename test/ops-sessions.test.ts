// Spent sessions with a real EventSource client (the `eventsource` package): history once, then stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventSource } from 'eventsource';
import { makeFrame, rfc5424, startSluice, waitUntil } from './helpers/sluice.js';
import { sessionUrl, startCluster } from './cluster-support.js';

const LINES = 20;

test('a non-tail session read by EventSource: the history arrives once, the spent URL answers 404, the client stops', async () => {
  const s = await startSluice();
  try {
    const token = await s.createAppWithToken('spent');
    const frames = Array.from({ length: LINES }, (_, i) => makeFrame(rfc5424(token, 'web.1', `line ${i}`)));
    assert.equal((await s.postLogs(token, frames)).status, 204);
    await s.waitForLogs('spent', (l) => l.length === LINES);

    const session = await s.api('POST', '/apps/spent/log-sessions', { lines: LINES });
    assert.equal(session.status, 201);
    const statuses: number[] = [];
    const messages: string[] = [];
    const es = new EventSource(String(session.body.logplex_url), {
      // Every connection the client makes, with the status it got.
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        statuses.push(res.status);
        return res;
      },
    });
    es.onmessage = (e) => messages.push(String(e.data));
    es.onerror = () => {};
    try {
      // The client reconnects once after the end of the stream (3 s, its default, since the
      // server sends no `retry:`), is told 404, and closes for good.
      const closed = await waitUntil(() => es.readyState === es.CLOSED, 20_000);
      assert.ok(closed, `the client should give up; statuses so far: ${statuses.join(',')}`);
    } finally {
      es.close();
    }
    assert.deepEqual(statuses, [200, 404], 'one read, one refused reconnect');
    assert.equal(messages.length, LINES, 'the history exactly once');
    assert.deepEqual(messages.map((m) => m.split(': ').pop()), Array.from({ length: LINES }, (_, i) => `line ${i}`));

    // The same URL with a plain GET is spent too, and the stream carried no retry hint.
    assert.equal((await fetch(String(session.body.logplex_url))).status, 404);
    const again = await s.api('POST', '/apps/spent/log-sessions', { lines: 1 });
    const raw = await (await fetch(String(again.body.logplex_url), { headers: { Accept: 'text/event-stream' } })).text();
    assert.doesNotMatch(raw, /^retry:/m);
  } finally {
    await s.stop();
  }
});

test('a tail session stays openable: a reconnect with Last-Event-ID resumes after that event', async () => {
  const s = await startSluice();
  try {
    const token = await s.createAppWithToken('tailing');
    assert.equal((await s.postLogs(token, [makeFrame(rfc5424(token, 'web.1', 'old'))])).status, 204);
    await s.waitForLogs('tailing', (l) => l.length === 1);
    const session = await s.api('POST', '/apps/tailing/log-sessions', { lines: 10, tail: true });
    const url = String(session.body.logplex_url);
    const first = await fetch(url, { headers: { Accept: 'text/event-stream' } });
    assert.equal(first.status, 200);
    await first.body?.cancel();
    const resumed = await fetch(url, { headers: { Accept: 'text/event-stream', 'Last-Event-ID': '1' }, signal: AbortSignal.timeout(10_000) });
    assert.equal(resumed.status, 200);
    const reader = resumed.body!.getReader();
    assert.equal((await s.postLogs(token, [makeFrame(rfc5424(token, 'web.1', 'new'))])).status, 204);
    let got = '';
    const dec = new TextDecoder();
    while (!got.includes('new')) {
      const { value, done } = await reader.read();
      if (done) break;
      got += dec.decode(value);
    }
    await reader.cancel();
    assert.match(got, /^id: 2\ndata: .*new$/m, 'numbering continues after the Last-Event-ID');
    assert.doesNotMatch(got, /old/, 'the history is not sent again on resume');
  } finally {
    await s.stop();
  }
});

test('cluster mode: a non-tail session read through one node is spent on every node', async (t) => {
  const c = await startCluster(t, 2);
  if (!c) return;
  try {
    const [a, b] = c.nodes;
    await a.createAppWithToken('spent-everywhere');
    const url = await sessionUrl(a, b, 'spent-everywhere', { lines: 5 });
    const first = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    assert.equal(first.status, 200);
    await first.text();
    const onA = url.replace(b.url, a.url);
    assert.equal((await fetch(onA, { signal: AbortSignal.timeout(10_000) })).status, 404, 'spent on the other node too');
    assert.equal((await fetch(url, { signal: AbortSignal.timeout(10_000) })).status, 404);
  } finally {
    await c.stop();
  }
});
