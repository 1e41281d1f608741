// `--ack durable`: every line POST /logs acknowledged with 204 survives a kill -9 right after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFrame, rfc5424, startSluice, type Sluice } from './helpers/sluice.js';

const TRIALS = 20;
const POSTS = 6;
const LINES_PER_POST = 40;

/** Posts POSTS batches at once; returns the messages of the batches answered 204. */
async function burst(s: Sluice, token: string, trial: number): Promise<string[]> {
  const acked: string[] = [];
  await Promise.all(
    Array.from({ length: POSTS }, async (_, p) => {
      const msgs = Array.from({ length: LINES_PER_POST }, (_, i) => `trial ${trial} post ${p} line ${i}`);
      const r = await s.postLogs(token, msgs.map((m) => makeFrame(rfc5424(token, 'web.1', m))));
      if (r.status === 204) acked.push(...msgs);
    }),
  );
  return acked;
}

async function trials(args: string[]): Promise<{ lost: number; acked: number; trialsLosing: number }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ack-'));
  let lost = 0;
  let acked = 0;
  let trialsLosing = 0;
  try {
    let s = await startSluice({ dataDir, args });
    const token = await s.createAppWithToken('durable');
    for (let t = 0; t < TRIALS; t++) {
      const sent = await burst(s, token, t);
      await s.kill9(); // at once: no flush interval has passed for the last batches
      acked += sent.length;
      s = await startSluice({ dataDir, args, apiKey: s.apiKey });
      const kept = new Set((await s.readLogs('durable', { lines: 1500 })).map((l) => l.slice(l.indexOf(': ') + 2)));
      const missing = sent.filter((m) => !kept.has(m)).length;
      lost += missing;
      if (missing > 0) trialsLosing++;
    }
    await s.stop();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { lost, acked, trialsLosing };
}

test(`--ack durable: ${TRIALS} kill -9 trials right after the 204s, every acknowledged line is in history after restart`, async () => {
  const r = await trials(['--ack', 'durable']);
  assert.equal(r.acked, TRIALS * POSTS * LINES_PER_POST, 'every batch was acknowledged');
  assert.equal(r.lost, 0, `${r.lost} acknowledged lines lost in ${r.trialsLosing} of ${TRIALS} trials`);
});

test('--ack durable is reported in the start event; an unknown mode is refused', async () => {
  const s = await startSluice({ args: ['--ack', 'durable'] });
  await s.stop();
  assert.match(s.log(), /"event":"started"[^\n]*"ack":"durable"/);
  const bad = await startSluice({ args: ['--ack', 'sometimes'] }).then(
    () => 'started',
    (e: Error) => e.message,
  );
  assert.match(bad, /exited before it was ready[\s\S]*'sometimes' is invalid/);
});
