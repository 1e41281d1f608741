// The server side of the console: a log session's `search` (history and tail, case-insensitive),
// `priority` (`<PRI>` before each line) and `sluice serve` saying where the console is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeFrame, readTextWithTimeout, rfc5424, startSluice, waitUntil } from './helpers/sluice.js';

test('search filters history and tail on the server; priority prefixes <PRI>; serve prints the console URL', { timeout: 60_000 }, async () => {
  const sluice = await startSluice();
  await waitUntil(() => sluice.output().includes('sluice: console at'), 10_000);
  assert.match(sluice.output(), new RegExp(`^sluice: console at http://127\\.0\\.0\\.1:${sluice.httpPort}/console$`, 'm'));
  assert.match(sluice.output(), /"event":"started".*"consoleUrl":"http:\/\/127\.0\.0\.1:\d+\/console"/);
  const token = await sluice.createAppWithToken('search-app');

  // 1,200 lines, one of them the needle; history holds them all.
  const frames = [];
  for (let i = 0; i < 1200; i++) frames.push(makeFrame(rfc5424(token, i % 2 ? 'web.1' : 'worker.1', i === 200 ? 'ERROR: the Needle-200 line' : `line ${i}`)));
  for (let i = 0; i < frames.length; i += 400) assert.equal((await sluice.postLogs(token, frames.slice(i, i + 400))).status, 204);
  await sluice.waitForLogs('search-app', (l) => l.some((x) => x.endsWith('line 1199')), { lines: 1 });

  const open = async (body: object): Promise<string> => {
    const r = await sluice.api('POST', '/apps/search-app/log-sessions', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return String(r.body.logplex_url);
  };
  const history = await readTextWithTimeout(await fetch(await open({ lines: 1500, search: 'needle-200' })), 10_000, 'history');
  assert.deepEqual(history.trim().split('\n').map((l) => l.replace(/^\S+ /, '')), ['app[worker.1]: ERROR: the Needle-200 line']);

  const withPri = await readTextWithTimeout(await fetch(await open({ lines: 2, priority: true })), 10_000, 'priority');
  for (const l of withPri.trim().split('\n')) assert.match(l, /^<190>\S+ app\[(web|worker)\.1\]: line 119\d$/);
  const plain = await readTextWithTimeout(await fetch(await open({ lines: 1 })), 10_000, 'plain');
  assert.doesNotMatch(plain, /^</, 'without priority the line is as Heroku sends it');

  // The tail: only matching lines come through.
  const ac = new AbortController();
  const res = await fetch(await open({ lines: 0, tail: true, search: 'PAYMENT' }), { signal: ac.signal });
  let text = '';
  const reading = (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) text += dec.decode(chunk, { stream: true });
    } catch {
      /* aborted */
    }
  })();
  const live = ['payment ok 1', 'nothing here', 'Payment failed 2', 'still nothing'];
  assert.equal((await sluice.postLogs(token, live.map((m) => makeFrame(rfc5424(token, 'web.1', m))))).status, 204);
  assert.ok(await waitUntil(() => text.includes('Payment failed 2'), 10_000), text);
  ac.abort();
  await reading;
  assert.deepEqual(text.trim().split('\n').map((l) => l.replace(/^\S+ /, '')), ['app[web.1]: payment ok 1', 'app[web.1]: Payment failed 2']);

  const tooLong = await sluice.api('POST', '/apps/search-app/log-sessions', { search: 'x'.repeat(300) });
  assert.equal(tooLong.status, 422);
  await sluice.stop();
});

/** Reads an SSE response into `text` until aborted. */
function readAll(res: Response): { text: () => string; done: Promise<void> } {
  let text = '';
  const dec = new TextDecoder();
  const done = (async () => {
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) text += dec.decode(chunk, { stream: true });
    } catch {
      /* aborted */
    }
  })();
  return { text: () => text, done };
}

test('batch=1 (the console): many lines per SSE event, the end of history marked, filtered-out tail lines counted by source', { timeout: 60_000 }, async () => {
  const sluice = await startSluice();
  const token = await sluice.createAppWithToken('batch-app');
  const jobs = await sluice.api('POST', '/apps/batch-app/log-tokens', { name: 'jobs' });
  const jobsToken = String(jobs.body.token);
  const history = Array.from({ length: 30 }, (_, i) => makeFrame(rfc5424(token, 'web.1', `old ${i}`)));
  assert.equal((await sluice.postLogs(token, history)).status, 204);
  await sluice.waitForLogs('batch-app', (l) => l.some((x) => x.endsWith('old 29')), { lines: 1 });
  const open = async (body: object, batch: boolean): Promise<{ text: () => string; done: Promise<void>; ac: AbortController }> => {
    const r = await sluice.api('POST', '/apps/batch-app/log-sessions', body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const ac = new AbortController();
    const res = await fetch(`${String(r.body.logplex_url)}${batch ? '&batch=1' : ''}`, { headers: { Accept: 'text/event-stream' }, signal: ac.signal });
    return { ...readAll(res), ac };
  };
  const all = await open({ lines: 30, tail: true, priority: true }, true);
  const searched = await open({ lines: 30, tail: true, search: 'needle' }, true);
  const unbatched = await open({ lines: 30, tail: true }, false);
  assert.ok(await waitUntil(() => all.text().includes('event: live') && searched.text().includes('event: live') && unbatched.text().includes('old 29'), 10_000));

  // The history: 30 lines in one event (one id), then the marker.
  const [historyPart] = all.text().split('event: live');
  assert.equal((historyPart.match(/^id: /gm) ?? []).length, 1, historyPart);
  assert.equal((historyPart.match(/^data: <190>\S+ app\[web\.1\]: old \d+$/gm) ?? []).length, 30);

  // The tail, in one post: 5 app lines (one a match) and 3 jobs lines.
  const live = [...[0, 1, 2, 3, 4].map((i) => makeFrame(rfc5424(token, 'web.2', i === 2 ? 'the needle' : `new ${i}`)))];
  assert.equal((await sluice.postLogs(token, live)).status, 204);
  assert.equal((await sluice.postLogs(jobsToken, [0, 1, 2].map((i) => makeFrame(rfc5424(jobsToken, 'worker.1', `job ${i}`))))).status, 204);
  assert.ok(await waitUntil(() => /job 2$/m.test(all.text()) && unbatched.text().includes('job 2'), 10_000));
  // The searched session: the match as a line, and the 7 others as counts by source.
  const counted = (): Record<string, number> => {
    const sum: Record<string, number> = {};
    for (const m of searched.text().matchAll(/^event: counts\ndata: (.*)$/gm)) for (const [k, v] of Object.entries(JSON.parse(m[1] ?? '{}') as Record<string, number>)) sum[k] = (sum[k] ?? 0) + v;
    return sum;
  };
  assert.ok(await waitUntil(() => (counted().app ?? 0) + (counted().jobs ?? 0) === 7, 10_000), JSON.stringify(counted()));
  assert.deepEqual(counted(), { app: 4, jobs: 3 });
  const tailPart = searched.text().split('event: live')[1] ?? '';
  assert.deepEqual([...tailPart.matchAll(/^data: (\S+ .*)$/gm)].map((m) => m[1]?.replace(/^\S+ /, '')), ['app[web.2]: the needle']);
  // Without batch=1 nothing changes: one event per line, no marker, no counts.
  const plain = unbatched.text();
  assert.equal((plain.match(/^id: /gm) ?? []).length, 38);
  assert.doesNotMatch(plain, /^event: /m);
  for (const s of [all, searched, unbatched]) s.ac.abort();
  await Promise.all([all.done, searched.done, unbatched.done]);
  await sluice.stop();
});
