// Operator procedures for real: online backup and restore, a lost admin key, /metrics behind a token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnv, makeFrame, rfc5424, runProgram, sluiceMain, startSluice, waitUntil } from './helpers/sluice.js';

const tmp = (p: string): string => mkdtempSync(path.join(os.tmpdir(), p));

function admin(args: string[], env: Record<string, string | undefined> = {}) {
  return runProgram(process.execPath, [sluiceMain, ...args], { env: childEnv({ SLUICE_API_KEY: undefined, ...env }), timeoutMs: 30_000 });
}

test('sluice backup of a running node, restore into a new data dir: apps, tokens, drains, keys and history are all there', async () => {
  const work = tmp('sluice-backup-');
  try {
    const s = await startSluice({ dataDir: path.join(work, 'a') });
    const token = await s.createAppWithToken('kept');
    const drain = await s.api('POST', '/apps/kept/log-drains', { url: 'syslog://127.0.0.1:9' });
    assert.equal(drain.status, 201);
    const limited = await s.api('POST', '/api-keys', { name: 'ci', apps: ['kept'] });
    assert.equal(limited.status, 201, JSON.stringify(limited.body));
    const msgs = Array.from({ length: 50 }, (_, i) => `kept line ${i}`);
    assert.equal((await s.postLogs(token, msgs.map((m) => makeFrame(rfc5424(token, 'web.1', m))))).status, 204);
    // History reaches the database within its write-behind interval; wait until a backup sees it.
    const out = path.join(work, 'backup.db');
    let said = '';
    assert.ok(
      await waitUntil(async () => {
        rmSync(out, { force: true });
        const b = await admin(['backup', '--data-dir', s.dataDir, out]);
        assert.equal(b.code, 0, b.stderr);
        said = b.stderr;
        return /\b(5\d|[6-9]\d|\d{3,}) history lines/.test(b.stderr);
      }, 10_000, 200),
      said,
    );
    assert.match(said, /1 apps, \d+ log tokens, 1 drains, 1 API keys/);
    // Still running and still answering while and after it was backed up.
    assert.equal((await s.api('GET', '/apps')).status, 200);
    await s.stop();

    const refused = await admin(['restore', '--data-dir', s.dataDir, out]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /exists: pass --force/);
    assert.match((await admin(['restore', '--data-dir', path.join(work, 'b'), path.join(work, 'nope.db')])).stderr, /not a readable SQLite database/);

    const dirB = path.join(work, 'b');
    const r = await admin(['restore', '--data-dir', dirB, out]);
    assert.equal(r.code, 0, r.stderr);
    const b = await startSluice({ dataDir: dirB, apiKey: s.apiKey });
    try {
      const apps = await b.api('GET', '/apps');
      assert.deepEqual(apps.body.map((a: { name: string }) => a.name), ['kept']);
      const tokens = await b.api('GET', '/apps/kept/log-tokens');
      assert.ok(tokens.body.some((t: { token: string }) => t.token === token), 'the log token');
      const drains = await b.api('GET', '/apps/kept/log-drains');
      assert.equal(drains.body[0].url, 'syslog://127.0.0.1:9');
      const lines = await b.readLogs('kept', { lines: 1500 });
      for (const m of msgs) assert.ok(lines.some((l) => l.endsWith(m)), `history has ${m}`);
      // The limited key works on the restored node.
      const res = await fetch(`${b.url}/apps/kept`, { headers: { Authorization: `Bearer ${limited.body.key}`, Accept: 'application/vnd.heroku+json; version=3' } });
      assert.equal(res.status, 200);
      // Input with the old token still lands.
      assert.equal((await b.postLogs(token, [makeFrame(rfc5424(token, 'web.1', 'after restore'))])).status, 204);
    } finally {
      await b.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('a lost admin key: admin:reset-key on the stopped node prints a new key, the old one stops working', async () => {
  const dataDir = tmp('sluice-reset-');
  try {
    // A node that generated its own admin key (no SLUICE_API_KEY), which the operator then lost.
    const first = await runProgram(process.execPath, [sluiceMain, 'admin:reset-key', '--data-dir', path.join(dataDir, 'missing')], { env: childEnv() });
    assert.equal(first.code, 1);
    assert.match(first.stderr, /No database at/);

    const s = await startSluice({ dataDir, apiKey: 'sk_setup_only_0123456789abcdef', env: { SLUICE_API_KEY: '' } });
    await s.stop();
    assert.match(s.log(), /generated the admin API key/);
    const lost = /^\s+(sk_\S+)$/m.exec(s.log())![1];
    s.secrets.add(lost);

    const r = await admin(['admin:reset-key', '--data-dir', dataDir]);
    assert.equal(r.code, 0, r.stderr);
    const key = r.stdout.trim();
    assert.match(key, /^sk_[A-Za-z0-9_-]{43}$/);
    assert.match(r.stderr, /replaced 1 admin key/);

    const after = await startSluice({ dataDir, apiKey: 'sk_unused_0123456789abcdefghij', env: { SLUICE_API_KEY: '' } });
    try {
      after.secrets.add(key);
      after.secrets.add(lost);
      const call = (k: string) => fetch(`${after.url}/apps`, { headers: { Authorization: `Bearer ${k}` } });
      assert.equal((await call(key)).status, 200, 'the new key works');
      assert.equal((await call(lost)).status, 401, 'the lost key no longer does');
      assert.doesNotMatch(after.log(), /generated the admin API key/, 'no new key is generated: one is stored');
    } finally {
      await after.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('--metrics-auth: /metrics needs the bearer token (from a file); /healthz stays open', async () => {
  const dir = tmp('sluice-metrics-');
  const secret = 'metrics-token-0123456789';
  writeFileSync(path.join(dir, 'token'), `${secret}\n`, { mode: 0o600 });
  const s = await startSluice({ args: ['--metrics-auth', `@${path.join(dir, 'token')}`] });
  try {
    s.secrets.add(secret);
    assert.equal((await fetch(`${s.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${s.url}/metrics`, { headers: { Authorization: 'Bearer wrong-token-0123456789' } })).status, 401);
    const ok = await fetch(`${s.url}/metrics`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^# TYPE sluice_lines_received_total counter$/m);
    const basic = await fetch(`${s.url}/metrics`, { headers: { Authorization: `Basic ${Buffer.from(`prometheus:${secret}`).toString('base64')}` } });
    assert.equal(basic.status, 200);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!existsSync(path.join(dir, 'token')));
  // Without the flag /metrics stays open, as before.
  const open = await startSluice();
  try {
    assert.equal((await fetch(`${open.url}/metrics`)).status, 200);
  } finally {
    await open.stop();
  }
});
