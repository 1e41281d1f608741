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
