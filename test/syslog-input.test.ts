// Syslog input (SPEC §3.2): util-linux `logger` and raw sockets, RFC 5424 and RFC 3164, TCP
// (octet-counted and newline-framed) and UDP; read back with `sluice logs` (the CLI).

import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSluice,
  makeFrame,
  rfc5424,
  fixedTime,
  runProgram,
  runSluiceCli,
  sendTcp,
  sendUdp,
  type Sluice,
} from './helpers/sluice.js';
import { requireProgram } from './helpers/external.js';

const LOGGER = 'logger';
// TIME as a producer may send it (RFC 3339, any fraction, Z or offset).
const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)`;
const esc = (x: string): string => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 3164 timestamp `hoursAgo` hours back (UTC), and the RFC 3339 prefix it must become. */
function bsdTime(hoursAgo: number): { bsd: string; iso: string } {
  const d = new Date(Math.floor(Date.now() / 1000) * 1000 - hoursAgo * 3_600_000);
  const iso = d.toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
  const bsd = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${iso.slice(11, 19)}`;
  return { bsd, iso };
}

let s: Sluice;
let n = 0;

before(async () => {
  s = await startSluice();
});
after(async () => {
  await s?.stop();
});

/** A fresh app with a token named `app`. */
async function freshApp(): Promise<{ app: string; token: string }> {
  const app = `sys-${process.pid % 10000}-${++n}`;
  return { app, token: await s.createAppWithToken(app, 'app') };
}

/** History lines with source `app` (drops the API's own `heroku[api]` lines). */
async function appLines(app: string, want: number): Promise<string[]> {
  const ls = await s.waitForLogs(app, (l) => l.filter((x) => /^\S+ app[[:]/.test(x)).length >= want);
  return ls.filter((x) => /^\S+ app[[:]/.test(x));
}

async function logger(t: TestContext, args: string[]): Promise<boolean> {
  if (!requireProgram(t, LOGGER)) return false;
  const r = await runProgram(LOGGER, args, { timeoutMs: 10_000 });
  assert.equal(r.code, 0, `logger ${args.join(' ')}: ${r.stderr}`);
  return true;
}

/** `sluice logs -a APP …` must print exactly what the session gives, no colour. */
async function sluiceLogs(app: string, extra: string[] = []): Promise<string[]> {
  const r = await runSluiceCli(['logs', '-a', app, '-n', '1500', ...extra], s);
  assert.equal(r.code, 0, `sluice logs -a ${app}: ${r.stderr}`);
  assert.ok(!r.stdout.includes('\x1b['), 'no colour codes when stdout is not a TTY');
  assert.ok(r.stdout === '' || r.stdout.endsWith('\n'));
  return r.stdout === '' ? [] : r.stdout.slice(0, -1).split('\n');
}

test('logger --tcp --octet-count --rfc5424 --id=N: PROCID is N; `sluice logs` shows `TIME app[N]: msg`', async (t) => {
  const { app, token } = await freshApp();
  const ok = await logger(t, ['--tcp', '--octet-count', '--rfc5424', '-n', '127.0.0.1', '-P', String(s.syslogPort), '-t', token, '--id=4242', 'hello from logger over tcp']);
  if (!ok) return;
  await logger(t, ['--tcp', '--rfc5424', '-n', '127.0.0.1', '-P', String(s.syslogPort), '-t', token, 'newline framed, no procid']);
  const lines = await appLines(app, 2);
  assert.equal(lines.length, 2, JSON.stringify(lines));
  assert.match(lines[0], new RegExp(`^${TIME} app\\[4242\\]: hello from logger over tcp$`));
  assert.match(lines[1], new RegExp(`^${TIME} app: newline framed, no procid$`));
  assert.ok(!lines.join('\n').includes(token), 'the token never shows');
  assert.ok(!lines.join('\n').includes('timeQuality'), 'structured data is not part of the text');
  const cli = await sluiceLogs(app, ['-s', 'app']);
  assert.deepEqual(cli, lines);
});

test('logger --udp --rfc3164: TAG is the token, TAG[pid] gives PROCID (numeric --id, and web.1)', async (t) => {
  const { app, token } = await freshApp();
  const base = ['--udp', '--rfc3164', '-n', '127.0.0.1', '-P', String(s.syslogPort)];
  if (!(await logger(t, [...base, '-t', token, 'udp 3164 without pid']))) return;
  await new Promise((r) => setTimeout(r, 50)); // UDP: keep the order deterministic
  await logger(t, [...base, '-t', token, '--id=777', 'udp 3164 with numeric pid']);
  await new Promise((r) => setTimeout(r, 50));
  // logger's --id only takes numbers, but it passes the tag through, so TAG[web.1] goes out as is.
  await logger(t, [...base, '-t', `${token}[web.1]`, 'udp 3164 from web.1']);
  const lines = await appLines(app, 3);
  assert.equal(lines.length, 3, JSON.stringify(lines));
  const year = new Date().getUTCFullYear();
  const t3164 = String.raw`${year}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|\+00:00)`;
  assert.match(lines[0], new RegExp(`^${t3164} app: udp 3164 without pid$`));
  assert.match(lines[1], new RegExp(`^${t3164} app\\[777\\]: udp 3164 with numeric pid$`));
  assert.match(lines[2], new RegExp(`^${t3164} app\\[web\\.1\\]: udp 3164 from web\\.1$`));
  assert.deepEqual(await sluiceLogs(app, ['-d', 'web.1']), [lines[2]]);
  // RFC 3164 over TCP, octet-counted (what rsyslog's omfwd with RFC 6587 framing sends).
  await logger(t, ['--tcp', '--octet-count', '--rfc3164', '-n', '127.0.0.1', '-P', String(s.syslogPort), '-t', `${token}[worker.3]`, 'tcp 3164 octet']);
  const more = await appLines(app, 4);
  assert.match(more[3], new RegExp(`^${t3164} app\\[worker\\.3\\]: tcp 3164 octet$`));
});

test('raw RFC 5424 with PROCID web.1 (TCP octet-counted, TCP newline, UDP) and RFC 3164 (TCP, UDP)', async () => {
  const { app, token } = await freshApp();
  const p = s.syslogPort;
  const expected: string[] = [];
  // RFC 5424, octet-counted over TCP; the time is passed through exactly.
  await sendTcp(p, makeFrame(rfc5424(token, 'web.1', 'raw 5424 octet', fixedTime(1))));
  expected.push(`${fixedTime(1)} app[web.1]: raw 5424 octet`);
  await appLines(app, 1);
  await sendTcp(p, `${rfc5424(token, 'web.1', 'raw 5424 newline', fixedTime(2))}\n`);
  expected.push(`${fixedTime(2)} app[web.1]: raw 5424 newline`);
  await appLines(app, 2);
  await sendUdp(p, [rfc5424(token, 'worker.2', 'raw 5424 udp', fixedTime(3))]);
  expected.push(`${fixedTime(3)} app[worker.2]: raw 5424 udp`);
  await appLines(app, 3);
  // RFC 3164: `<PRI>Mmm dd hh:mm:ss HOST TAG[pid]: MSG` (day space-padded), read as UTC.
  const t1 = bsdTime(2);
  const t2 = bsdTime(1);
  await sendTcp(p, `<134>${t1.bsd} somehost ${token}[web.1]: raw 3164 tcp\n`);
  await appLines(app, 4);
  await sendUdp(p, [`<134>${t2.bsd} somehost ${token}: raw 3164 udp no pid`]);
  const lines = await appLines(app, 5);
  assert.equal(lines.length, 5, JSON.stringify(lines));
  assert.deepEqual(lines.slice(0, 3), expected);
  assert.match(lines[3], new RegExp(`^${t1.iso}(?:\\.0{1,6})?(?:Z|\\+00:00) app\\[web\\.1\\]: raw 3164 tcp$`));
  assert.match(lines[4], new RegExp(`^${t2.iso}(?:\\.0{1,6})?(?:Z|\\+00:00) app: raw 3164 udp no pid$`));
  assert.deepEqual(await sluiceLogs(app, ['-s', 'app']), lines);
  assert.deepEqual(await sluiceLogs(app, ['-d', 'web.1']), [lines[0], lines[1], lines[3]]);
  assert.deepEqual(await sluiceLogs(app, ['-p', 'worker']), [lines[2]]);
});

test('200 lines over one TCP connection arrive in order (octet-counted, newline-framed, and mixed per frame)', async () => {
  for (const mode of ['octet', 'newline', 'mixed'] as const) {
    const { app, token } = await freshApp();
    const msgs: string[] = [];
    const chunks: string[] = [];
    for (let i = 0; i < 200; i++) {
      const m = rfc5424(token, 'web.1', `${mode} ordered ${String(i).padStart(3, '0')}`, fixedTime(i));
      msgs.push(`${fixedTime(i)} app[web.1]: ${mode} ordered ${String(i).padStart(3, '0')}`);
      // mixed: the framing is decided per frame (SPEC §3.2), so alternate on one connection
      const octet = mode === 'octet' || (mode === 'mixed' && i % 3 !== 0);
      chunks.push(octet ? makeFrame(m) : `${m}\n`);
    }
    // Write in odd-sized pieces so frames straddle TCP segments.
    const all = Buffer.from(chunks.join(''), 'utf8');
    const pieces: Buffer[] = [];
    for (let off = 0; off < all.length; off += 997) pieces.push(all.subarray(off, off + 997));
    const r = await sendTcp(s.syslogPort, pieces);
    assert.equal(r.error, undefined, `tcp send: ${r.error}`);
    const lines = await appLines(app, 200);
    assert.deepEqual(lines, msgs, `${mode}: all 200 in order`);
    const cli = await sluiceLogs(app, ['-s', 'app']);
    assert.deepEqual(cli, msgs);
  }
});

test('UTF-8 survives intact (é, emoji) via TCP octet counting (bytes), UDP, RFC 3164 and logger', async (t) => {
  const { app, token } = await freshApp();
  const text = 'café crème — 🎉🚀 naïve 日本語';
  await sendTcp(s.syslogPort, makeFrame(rfc5424(token, 'web.1', `${text} #1`, fixedTime(1))) + makeFrame(rfc5424(token, 'web.1', `${text} #2`, fixedTime(2))));
  await appLines(app, 2);
  await sendUdp(s.syslogPort, [Buffer.from(rfc5424(token, 'web.2', `${text} #3`, fixedTime(3)), 'utf8')]);
  await appLines(app, 3);
  await sendTcp(s.syslogPort, `<134>${bsdTime(1).bsd} h ${token}[web.3]: ${text} #4\n`);
  const want = [
    `${fixedTime(1)} app[web.1]: ${text} #1`,
    `${fixedTime(2)} app[web.1]: ${text} #2`,
    `${fixedTime(3)} app[web.2]: ${text} #3`,
  ];
  let lines = await appLines(app, 4);
  assert.deepEqual(lines.slice(0, 3), want);
  assert.match(lines[3], new RegExp(`app\\[web\\.3\\]: ${esc(text)} #4$`));
  assert.deepEqual(await sluiceLogs(app, ['-s', 'app']), lines);
  if (requireProgram(t, LOGGER)) {
    await logger(t, ['--tcp', '--octet-count', '--rfc5424', '-n', '127.0.0.1', '-P', String(s.syslogPort), '-t', token, '--id=5', `${text} #5`]);
    lines = await appLines(app, 5);
    assert.match(lines[4], new RegExp(`^${TIME} app\\[5\\]: ${esc(text)} #5$`));
  }
});
