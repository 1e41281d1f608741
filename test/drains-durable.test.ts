// Durable drain queues through a real `sluice serve`: kill -9 and SIGTERM with lines spooled,
// a spool damaged while stopped, and a full disk. Receivers are real HTTP servers on loopback.
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { freePort, httpReceiver, l10Count, tmpDir, type HttpReceiver } from './drains-support.js';
import { skipOrFail } from './helpers/external.js';
import { makeFrame, rfc5424, startSluice, waitUntil, type Sluice } from './helpers/sluice.js';

const T = { timeout: 120_000 };

async function setup(dataDir: string, args: string[] = []): Promise<Sluice> {
  return startSluice({ dataDir, args: ['--spool-sync-ms', '50', ...args], env: { SLUICE_API_KEY: 'sk_test_durable_0000000000000000' } });
}

/** Posts `n` lines `line <i>` (from `from`) in bodies of 1,000. */
/** `noise`: each line ends in 32 random bytes as hex, so the spool's compression cannot shrink it much. */
async function post(s: Sluice, token: string, from: number, n: number, noise = false): Promise<void> {
  for (let i = from; i < from + n; i += 1000) {
    const frames: string[] = [];
    for (let j = i; j < Math.min(from + n, i + 1000); j++) {
      frames.push(makeFrame(rfc5424(token, 'web.1', noise ? `line ${j} ${randomBytes(32).toString('hex')}` : `line ${j}`)));
    }
    const r = await s.postLogs(token, frames);
    assert.equal(r.status, 204);
  }
}

async function drainHealth(s: Sluice, app: string, id: string): Promise<Record<string, number | string | null>> {
  const r = await s.api('GET', `/apps/${app}/log-drains/${id}`);
  return r.body.health;
}

/** The `line <n>` numbers a receiver got, in order (L10 lines left out), and the L10 total. */
function received(rx: HttpReceiver): { lines: number[]; l10: number; frames: number } {
  const frames = rx.frames();
  // The app's own `heroku[api]` line about the new drain goes to the drain too: left out here.
  const lines = frames.flatMap((f) => {
    const m = / web\.1 - line (\d+)(?: [0-9a-f]+)?\n$/.exec(f);
    return m ? [Number(m[1])] : [];
  });
  return { lines, l10: frames.reduce((a, f) => a + l10Count(f), 0), frames: frames.filter((f) => l10Count(f) === 0).length };
}

const inOrder = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x > xs[i - 1]);

describe('durable drain queues', () => {
  test('kill -9 with 20,000 lines spooled, restart: all delivered, in order, 0 dropped, counters kept', T, async () => {
    const dir = tmpDir('sluice-durable-');
    let rx: HttpReceiver | undefined;
    try {
      const port = await freePort();
      let s = await setup(dir);
      const token = await s.createAppWithToken('kill9app');
      const d = (await s.api('POST', '/apps/kill9app/log-drains', { url: `http://127.0.0.1:${port}/` })).body;
      await post(s, token, 0, 20_000);
      assert.ok(await waitUntil(async () => (await drainHealth(s, 'kill9app', d.id)).spool_lines === 20_001, 20_000), s.output());
      // Past the next state-file write (each second; the records themselves are synced every
      // 50 ms here), then the process dies without any chance to flush.
      await new Promise((r) => setTimeout(r, 1_200));
      await s.kill9();
      rx = await httpReceiver({ port });
      s = await setup(dir);
      const r = rx;
      assert.ok(await waitUntil(() => received(r).lines.length >= 20_000, 30_000), `${received(r).lines.length} lines`);
      const got = received(r);
      assert.equal(got.l10, 0);
      assert.deepEqual(got.lines, Array.from({ length: 20_000 }, (_, i) => i));
      assert.ok(await waitUntil(async () => (await drainHealth(s, 'kill9app', d.id)).delivered === 20_001, 10_000));
      const h = await drainHealth(s, 'kill9app', d.id);
      assert.equal(h.dropped, 0);
      assert.ok(Number(h.spooled) >= 20_000, 'the spooled counter survived the kill');
      await s.stop();
    } finally {
      await rx?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SIGTERM with a failing drain: nothing discarded, the kept count logged, delivered after the next start', T, async () => {
    const dir = tmpDir('sluice-durable-');
    let rx: HttpReceiver | undefined;
    try {
      const port = await freePort();
      let s = await setup(dir);
      const token = await s.createAppWithToken('termapp');
      const d = (await s.api('POST', '/apps/termapp/log-drains', { url: `http://127.0.0.1:${port}/` })).body;
      await post(s, token, 0, 5_000);
      assert.ok(await waitUntil(async () => (await drainHealth(s, 'termapp', d.id)).queued === 5_001, 10_000));
      assert.equal(await s.stop(), 0);
      const kept = /"kept_lines":(\d+)[^\n]*queued lines kept in the spool/.exec(s.output());
      assert.ok(kept, s.output());
      assert.equal(Number(kept[1]), 5_001);
      assert.match(s.output(), /"drain":"[^"]+"/);
      rx = await httpReceiver({ port });
      s = await setup(dir);
      const r = rx;
      assert.ok(await waitUntil(() => received(r).lines.length >= 5_000, 30_000));
      assert.deepEqual(received(r).lines, Array.from({ length: 5_000 }, (_, i) => i));
      assert.match(s.output(), /drain spool recovered/);
      await s.stop();
    } finally {
      await rx?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a spool segment cut short while stopped: the start delivers the rest and reports the skipped count (L10, health)', T, async () => {
    const dir = tmpDir('sluice-durable-');
    let rx: HttpReceiver | undefined;
    try {
      const port = await freePort();
      let s = await setup(dir);
      const token = await s.createAppWithToken('tornapp');
      const d = (await s.api('POST', '/apps/tornapp/log-drains', { url: `http://127.0.0.1:${port}/` })).body;
      await post(s, token, 0, 10_000);
      assert.ok(await waitUntil(async () => (await drainHealth(s, 'tornapp', d.id)).queued === 10_001, 10_000));
      await s.stop();
      const spool = path.join(dir, 'spool', d.id);
      const seg = readdirSync(spool).filter((n) => n.endsWith('.seg')).sort().at(-1)!;
      truncateSync(path.join(spool, seg), statSync(path.join(spool, seg)).size - 1000);
      rx = await httpReceiver({ port });
      s = await setup(dir);
      const r = rx;
      assert.ok(await waitUntil(() => received(r).frames + received(r).l10 >= 10_001, 30_000), `${JSON.stringify(received(r).l10)} ${s.output()}`);
      const got = received(r);
      assert.ok(got.l10 > 0, 'an L10 reports the skipped lines');
      assert.equal(got.frames + got.l10, 10_001);
      assert.ok(inOrder(got.lines));
      const h = await drainHealth(s, 'tornapp', d.id);
      assert.equal(h.corrupt, got.l10);
      assert.match(s.output(), /unreadable records/);
      await s.stop();
    } finally {
      await rx?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a full disk: input still accepted, drops counted, no crash; delivery resumes when space returns', T, async (t) => {
    const dir = tmpDir('sluice-fulldisk-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      skipOrFail(t, 'a small tmpfs for the full-disk test', `mount -t tmpfs failed: ${String(err).split('\n')[0]}`);
      return;
    }
    let rx: HttpReceiver | undefined;
    let s: Sluice | undefined;
    try {
      const port = await freePort();
      s = await setup(path.join(dir, 'data'));
      const token = await s.createAppWithToken('fullapp');
      const d = (await s.api('POST', '/apps/fullapp/log-drains', { url: `http://127.0.0.1:${port}/` })).body;
      // Fill the disk with someone else's file, leaving little room for the spool.
      mkdirSync(path.join(dir, 'other'), { recursive: true });
      writeFileSync(path.join(dir, 'other', 'filler'), Buffer.alloc(2_700_000));
      await post(s, token, 0, 40_000, true); // ~7 MB of frames (~3.5 MB deflated): far more than fits
      const sv = s;
      assert.ok(await waitUntil(async () => Number((await drainHealth(sv, 'fullapp', d.id)).dropped) > 0, 20_000), 'drops are counted');
      // Space returns: the other file goes; more lines arrive and are spooled again.
      rmSync(path.join(dir, 'other'), { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1_200)); // the disk's numbers are re-read each second
      const before = Number((await drainHealth(s, 'fullapp', d.id)).dropped);
      await post(s, token, 40_000, 2_000);
      assert.ok(await waitUntil(async () => Number((await drainHealth(sv, 'fullapp', d.id)).queued) > 0, 5_000));
      rx = await httpReceiver({ port });
      const r = rx;
      assert.ok(await waitUntil(async () => Number((await drainHealth(sv, 'fullapp', d.id)).queued) === 0, 60_000), JSON.stringify(await drainHealth(s, 'fullapp', d.id)));
      const h = await drainHealth(s, 'fullapp', d.id);
      const got = received(r);
      assert.equal(Number(h.dropped), before, 'no drops once space returned');
      assert.equal(got.frames + got.l10, 42_001, 'delivered + reported = sent');
      assert.equal(Number(h.delivered) + Number(h.dropped), 42_001);
      assert.ok(got.lines.slice(-2_000).every((n, i) => n === 40_000 + i), 'the lines after space returned all arrive, in order');
      assert.ok(inOrder(got.lines));
    } finally {
      await s?.stop();
      await rx?.close();
      try {
        execFileSync('umount', [dir], { stdio: 'pipe' });
      } catch {
        // left mounted only if something still holds it; the directory is in tmp
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
