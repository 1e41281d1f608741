// Memory and resource limits against hostile input: Frame-Id memory, a deeply nested manifest, the
// router secret kept off the command line, and UDP datagrams the kernel dropped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSluice, makeFrame, rfc5424, sendUdp, waitUntil, type Sluice } from './helpers/sluice.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sluice-limits-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function metric(s: Sluice, name: string): Promise<number> {
  const text = await (await fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics:\n${text}`);
  return Number(m[1]);
}

test('Frame-Id memory: a flood of long unique ids stays within the budget, and another token’s retry is still de-duplicated', async () => {
  const budget = 256 * 1024;
  const s = await startSluice({ args: ['--frame-id-memory-bytes', String(budget)] });
  try {
    const victim = await s.createAppWithToken('fid-victim', 'app');
    const attacker = await s.createAppWithToken('fid-attacker', 'app');
    const frame = (tok: string, msg: string): string[] => [makeFrame(rfc5424(tok, 'web.1', msg))];
    assert.equal((await s.postLogs(victim, frame(victim, 'victim batch'), { 'Logplex-Frame-Id': 'victim-retry-1' })).status, 204);

    const tooLong = 'f'.repeat(129);
    const refused = await s.postLogs(attacker, frame(attacker, 'x'), { 'Logplex-Frame-Id': tooLong });
    assert.equal(refused.status, 400);
    assert.match(String(refused.body), /Logplex-Frame-Id is 129 characters long; at most 128/);

    // 3,000 requests, each with its own 128-character id: ~1 MB of ids against a 256 KiB budget.
    const N = 3000;
    for (let i = 0; i < N; i += 25) {
      const batch = Array.from({ length: 25 }, (_, j) => {
        const id = `${randomBytes(60).toString('hex')}${String(i + j).padStart(8, '0')}`;
        return s.postLogs(attacker, frame(attacker, `flood ${i + j}`), { 'Logplex-Frame-Id': id }).then((r) => r.status);
      });
      for (const status of await Promise.all(batch)) assert.equal(status, 204);
    }
    const held = await metric(s, 'sluice_http_frame_id_bytes');
    assert.ok(held <= budget, `Frame-Id memory holds ${held} bytes for a ${budget}-byte budget`);
    assert.ok((await metric(s, 'sluice_http_frame_ids')) < N / 2, 'the attacker’s oldest ids were forgotten');

    const retry = await s.postLogs(victim, frame(victim, 'victim batch'), { 'Logplex-Frame-Id': 'victim-retry-1' });
    assert.equal(retry.status, 204);
    const lines = (await s.readLogs('fid-victim')).filter((l) => l.includes('victim batch'));
    assert.equal(lines.length, 1, `the retry was ignored as a duplicate: ${lines.join('\n')}`);
    assert.equal(await metric(s, 'sluice_http_duplicate_batches_total'), 1);
  } finally {
    await s.stop();
  }
});

test('a manifest nested 20,000 levels deep is refused with 422, not a 500', async () => {
  const s = await startSluice();
  try {
    const deep = `{"id":"deep","api":{"password":"longenough","production":{"base_url":"http://127.0.0.1:1/x"}},"extra":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const res = await fetch(`${s.url}/addon-services`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${s.apiKey}`, 'Content-Type': 'application/json' },
      body: deep,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    assert.equal(res.status, 422, text);
    assert.match(text, /nested more than 32 levels/);
    assert.ok(!/internal error/i.test(s.output()), s.output());
  } finally {
    await s.stop();
  }
});

test('the router secret comes from SLUICE_ROUTER_SECRET or --router-secret-file; as a flag it works but the server log warns', async () => {
  const secret = `rs-${randomBytes(12).toString('hex')}`;
  const file = path.join(tmp, 'router-secret');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  const warning = /--router-secret: every user of this machine can read it/;
  for (const how of ['file', 'env', 'flag'] as const) {
    const s = await startSluice({
      args: ['--router-port', '0', ...(how === 'file' ? ['--router-secret-file', file] : how === 'flag' ? ['--router-secret', secret] : [])],
      env: how === 'env' ? { SLUICE_ROUTER_SECRET: secret } : {},
    });
    try {
      assert.ok(s.routerPort, `${how}: the router port is open`);
      if (how === 'flag') assert.ok(await waitUntil(() => warning.test(s.output()), 5_000), `${how}: ${s.output()}`);
      else assert.doesNotMatch(s.output(), warning, how);
      assert.ok(!s.output().includes(secret), `${how}: the secret is never printed`);
    } finally {
      await s.stop();
    }
  }
});

test('UDP datagrams the kernel dropped while the node could not read are counted in sluice_udp_kernel_drops_total', async () => {
  const s = await startSluice();
  try {
    assert.equal(await metric(s, 'sluice_udp_kernel_drops_total\\{socket="syslog"\\}'), 0);
    // Stopped, the node reads nothing: its socket's receive buffer (at most a few MiB) fills and
    // the kernel drops the rest of 40 MiB of datagrams.
    s.proc.kill('SIGSTOP');
    try {
      const datagram = Buffer.alloc(1024, 0x61);
      for (let i = 0; i < 40; i++) await sendUdp(s.syslogPort, Array.from({ length: 1000 }, () => datagram));
    } finally {
      s.proc.kill('SIGCONT');
    }
    const drops = await metric(s, 'sluice_udp_kernel_drops_total\\{socket="syslog"\\}');
    assert.ok(drops > 0, `kernel drops: ${drops}`);
  } finally {
    await s.stop();
  }
});
