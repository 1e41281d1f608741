// Per-app input rate limit end to end: HTTP batches over the limit get 429 and store nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { startServer } from '../src/server.js';

test('a batch over the per-app limit is refused with 429 and Retry-After, and stores nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-rl-'));
  const server = await startServer({
    host: '127.0.0.1', httpPort: 0, syslogPort: 0, dataDir: dir, apiKey: 'k',
    maxBodyBytes: 1 << 20, maxMessageBytes: 10240, rateLimit: 10,
  });
  t.after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${server.httpPort}`;
  const auth = { Authorization: 'Bearer k', 'Content-Type': 'application/json' };
  await fetch(`${base}/apps`, { method: 'POST', headers: auth, body: '{"name":"limited"}' });
  const tokens = (await (await fetch(`${base}/apps/limited/log-tokens`, { headers: auth })).json()) as { token: string }[];
  const post = (n: number, tag: string) => {
    let body = '';
    for (let i = 0; i < n; i++) {
      const m = `<190>1 2026-01-01T00:00:00+00:00 h x web.1 - - ${tag}${i}`;
      body += `${Buffer.byteLength(m)} ${m}`;
    }
    return fetch(`${base}/logs`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`token:${tokens[0].token}`).toString('base64')}`, 'Content-Type': 'application/logplex-1' },
      body,
    });
  };
  assert.equal((await post(8, 'ok')).status, 204);
  const refused = await post(8, 'over');
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.match(await refused.text(), /^Rate limit exceeded: this app may send 10 lines\/s\.\n$/);
  const s = (await (await fetch(`${base}/apps/limited/log-sessions`, { method: 'POST', headers: auth, body: '{"source":"app"}' })).json()) as { logplex_url: string };
  const text = await (await fetch(s.logplex_url)).text();
  assert.equal(text.split('\n').filter(Boolean).length, 8);
  assert.ok(!text.includes('over'), 'nothing from the refused batch was stored');
});
