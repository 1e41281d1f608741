// OTLP edges: `--ack durable` on /v1/logs survives kill -9 after the 200s; a telemetry drain to Sluice itself is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSluice, type Sluice } from './helpers/sluice.js';

const TRIALS = 12;
const POSTS = 6;
const RECORDS_PER_POST = 40;

/** One OTLP/JSON ExportLogsServiceRequest holding `bodies` as INFO records of service web.1. */
function otlpJson(bodies: string[]): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.instance.id', value: { stringValue: 'web.1' } }] },
        scopeLogs: [{ logRecords: bodies.map((b, i) => ({ timeUnixNano: String(now + BigInt(i)), severityNumber: 9, body: { stringValue: b } })) }],
      },
    ],
  });
}

/** Posts POSTS requests at once; returns the bodies of those answered 200. */
async function burst(s: Sluice, token: string, trial: number): Promise<string[]> {
  const acked: string[] = [];
  await Promise.all(
    Array.from({ length: POSTS }, async (_, p) => {
      const bodies = Array.from({ length: RECORDS_PER_POST }, (_, i) => `otlp trial ${trial} post ${p} record ${i}`);
      const r = await fetch(`${s.url}/v1/logs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: otlpJson(bodies),
      });
      await r.arrayBuffer();
      if (r.status === 200) acked.push(...bodies);
    }),
  );
  return acked;
}

test(`--ack durable on /v1/logs: ${TRIALS} kill -9 trials right after the 200s, every acknowledged record is in history after restart`, { timeout: 300_000 }, async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-otlp-ack-'));
  const args = ['--ack', 'durable'];
  let lost = 0;
  let acked = 0;
  try {
    let s = await startSluice({ dataDir, args });
    const token = await s.createAppWithToken('otlpack');
    for (let t = 0; t < TRIALS; t++) {
      const sent = await burst(s, token, t);
      await s.kill9(); // at once: the history's flush interval has not passed for the last requests
      acked += sent.length;
      s = await startSluice({ dataDir, args, apiKey: s.apiKey });
      const kept = new Set((await s.readLogs('otlpack', { lines: 1500 })).map((l) => l.slice(l.indexOf(': ') + 2)));
      lost += sent.filter((b) => !kept.has(b)).length;
    }
    await s.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  assert.equal(acked, TRIALS * POSTS * RECORDS_PER_POST, 'every request was acknowledged');
  assert.equal(lost, 0, `${lost} of ${acked} acknowledged records lost`);
});

test('a telemetry drain to one of Sluice\'s own listeners is refused at creation and on update, for both exporter types', { timeout: 60_000 }, async () => {
  const s = await startSluice();
  try {
    await s.createAppWithToken('otlpself');
    const add = (type: string, endpoint: string) =>
      s.api('POST', '/telemetry-drains', { owner: { id: 'otlpself', type: 'app' }, signals: ['logs'], exporter: { type, endpoint, headers: {} } });
    const own = [
      ['otlphttp', `http://127.0.0.1:${s.httpPort}`],
      ['otlphttp', `http://localhost:${s.httpPort}/`],
      ['otlp', `http://[::1]:${s.syslogPort}`],
      ['otlphttp', `http://0.0.0.0:${s.httpPort}`],
    ];
    for (const [type, endpoint] of own) {
      const r = await add(type, endpoint);
      assert.equal(r.status, 422, `${type} ${endpoint}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.body.id, 'invalid_params');
      assert.match(r.body.message, /(this Sluice server|own listeners).*a loop/, endpoint);
    }
    // An allowed endpoint cannot be moved onto this server afterwards either.
    const ok = await add('otlphttp', 'http://127.0.0.1:9');
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const moved = await s.api('PATCH', `/telemetry-drains/${ok.body.id}`, { exporter: { endpoint: `http://127.0.0.1:${s.httpPort}` } });
    assert.equal(moved.status, 422, JSON.stringify(moved.body));
    assert.match(moved.body.message, /this Sluice server|own listeners/);
    const listed = await s.api('GET', '/apps/otlpself/telemetry-drains');
    assert.deepEqual(
      listed.body.map((d: { exporter: { endpoint: string } }) => d.exporter.endpoint),
      ['http://127.0.0.1:9'],
    );
  } finally {
    await s.stop();
  }
});
