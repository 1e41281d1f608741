// Processes as log sources (SPEC §3.3): `sluice run -- CMD…` and `… | sluice ship`, real child
// processes shipping over HTTP into a real Sluice; exit codes, signals, 10,000-byte chunks,
// L12 (buffer overflow) and L13 (delivery failed, reported once Sluice is back or by the next run).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnv, runProgram, sluiceMain, startSluice, track, waitUntil, type Sluice } from './helpers/sluice.js';

const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00`;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-shipper-state-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

let shared: Sluice | undefined;
async function sluice(): Promise<Sluice> {
  shared ??= await startSluice();
  return shared;
}
after(async () => {
  await shared?.stop();
});

let n = 0;
const appName = (): string => `ship-${process.pid % 10000}-${++n}`;

function env(s: Sluice, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return childEnv({ SLUICE_URL: s.url, SLUICE_API_KEY: s.apiKey, SLUICE_STATE_DIR: stateDir, SLUICE_LOG_TOKEN: undefined, DYNO: undefined, ...extra });
}

/** `sluice …` to completion (bounded). */
function cli(s: Sluice, args: string[], input = '', extra: Record<string, string | undefined> = {}) {
  return runProgram(process.execPath, [sluiceMain, ...args], { env: env(s, extra), input, timeoutMs: 30_000 });
}

interface Live {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A long-running `sluice …` whose output is watched while it runs; the harness kills it at the end. */
function spawnCli(s: Sluice, args: string[]): Live {
  const proc = track(spawn(process.execPath, [sluiceMain, ...args], { env: env(s), stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('close', (code, signal) => r({ code, signal })));
  return { proc, out: () => out, err: () => err, exit };
}

async function exitWithin(l: Live, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`no exit within ${ms} ms; stderr: ${l.err()}`)), ms)));
  try {
    return await Promise.race([l.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lines of the app with source `app` (session text), waiting until `pred` holds. */
async function appLines(s: Sluice, app: string, pred: (ls: string[]) => boolean, dyno?: string): Promise<string[]> {
  const ls = await s.waitForLogs(app, (l) => pred(l.filter((x) => /^\S+ app\[/.test(x))), { source: 'app', dyno });
  return ls.filter((x) => /^\S+ app\[/.test(x));
}
const msgs = (ls: string[]): string[] => ls.map((l) => l.replace(/^\S+ \S+?: /, ''));

test('sluice run: stdout and stderr arrive line by line, in order, as app[worker.1]; the exit code (3) passes through', async () => {
  const s = await sluice();
  const app = appName();
  await s.createAppWithToken(app);
  const script = "for (let i = 0; i < 50; i++) console.log('line ' + i); console.error('oops on stderr'); process.exitCode = 3";
  const r = await cli(s, ['run', '--app', app, '--dyno', 'worker.1', '--', process.execPath, '-e', script]);
  assert.equal(r.code, 3, r.stderr);
  assert.ok(r.stdout.includes('line 49\n'), 'the child’s output is also copied to our stdout');
  const lines = await appLines(s, app, (l) => l.length >= 51);
  const out = lines.filter((l) => l.includes(' app[worker.1]: line '));
  assert.deepEqual(msgs(out), Array.from({ length: 50 }, (_, i) => `line ${i}`));
  for (const l of out) assert.match(l, new RegExp(`^${TIME} app\\[worker\\.1\\]: line \\d+$`));
  assert.ok(lines.some((l) => l.endsWith(' app[worker.1]: oops on stderr')), lines.join('\n'));
});

test('sluice run: SIGTERM is passed to the child, which logs it and exits 7; options after the command are the command’s', async () => {
  const s = await sluice();
  const app = appName();
  const token = await s.createAppWithToken(app);
  const script = "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000);";
  const live = spawnCli(s, ['run', '--token', token, '-d', 'worker.2', process.execPath, '-e', script]);
  assert.ok(await waitUntil(() => live.out().includes('ready\n'), 10_000), `child not ready: ${live.err()}`);
  live.proc.kill('SIGTERM');
  const { code } = await exitWithin(live, 15_000);
  assert.equal(code, 7, live.err());
  const lines = await appLines(s, app, (l) => l.length >= 2);
  assert.deepEqual(msgs(lines), ['ready', 'got SIGTERM']);
});

test('sluice run: a child killed by a signal makes `sluice run` die of it too; a missing command exits 127', async () => {
  const s = await sluice();
  const app = appName();
  const token = await s.createAppWithToken(app);
  const r = await cli(s, ['run', '--token', token, '--', process.execPath, '-e', "console.log('bye'); process.kill(process.pid, 'SIGKILL')"]);
  assert.equal(r.signal, 'SIGKILL', `code ${r.code} ${r.stderr}`);
  assert.deepEqual(msgs(await appLines(s, app, (l) => l.length >= 1, 'run.1')), ['bye']);
  const missing = await cli(s, ['run', '--token', token, '--', '/nonexistent/program']);
  assert.equal(missing.code, 127);
  assert.match(missing.stderr, /cannot run \/nonexistent\/program/);
});

test('… | sluice ship: a pipe ships line by line; a 25,000-byte line arrives as 3 chunks (10,000 + 10,000 + 5,000 bytes)', async () => {
  const s = await sluice();
  const app = appName();
  const token = await s.createAppWithToken(app);
  const long = 'a'.repeat(10_000) + 'b'.repeat(10_000) + 'c'.repeat(5_000);
  const r = await cli(s, ['ship', '--dyno', 'web.1', '--no-echo'], `first\r\n\n${long}\nlast without newline`, { SLUICE_LOG_TOKEN: token });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', '--no-echo');
  const lines = await appLines(s, app, (l) => l.length >= 5);
  assert.deepEqual(msgs(lines), ['first', 'a'.repeat(10_000), 'b'.repeat(10_000), 'c'.repeat(5_000), 'last without newline']);
  for (const l of lines) assert.match(l, new RegExp(`^${TIME} app\\[web\\.1\\]: `));
  assert.ok(!r.stderr.includes(token), 'the token is never printed');
});

test('sluice ship with a tiny buffer: overflow is reported as app[log-shuttle] L12 with the exact count', async () => {
  const s = await sluice();
  const app = appName();
  await s.createAppWithToken(app);
  const total = 2000;
  const input = Array.from({ length: total }, (_, i) => `burst ${i}`).join('\n') + '\n';
  const r = await cli(s, ['ship', '-a', app, '-d', 'web.1', '--buffer', '5', '--no-echo'], input);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /buffer full \(5 lines\)/);
  const lines = await s.waitForLogs(app, (l) => l.some((x) => x.includes('Error L12')), { source: 'app' });
  const l12 = lines.filter((l) => l.includes('app[log-shuttle]: Error L12'));
  assert.equal(l12.length, 1, lines.join('\n'));
  const m = new RegExp(`^${TIME} app\\[log-shuttle\\]: Error L12: (\\d+) messages dropped since ${TIME}\\.$`).exec(l12[0]);
  assert.ok(m, l12[0]);
  const delivered = lines.filter((l) => l.includes(' app[web.1]: burst '));
  assert.ok(Number(m[1]) > 0);
  assert.equal(Number(m[1]) + delivered.length, total, 'every line is either delivered or counted in L12');
  // The newest lines survive (the oldest are dropped), in order.
  assert.equal(msgs(delivered).at(-1), `burst ${total - 1}`);
});

test('Sluice down while shipping: the lost lines come back as one L13 with the exact count once Sluice is reachable again', async (t) => {
  const s1 = await startSluice();
  const app = appName();
  const token = await s1.createAppWithToken(app);
  const gate = mkdtempSync(path.join(os.tmpdir(), 'sluice-gate-'));
  t.after(() => rmSync(gate, { recursive: true, force: true }));
  // Prints 2 lines; 7 more once `down` exists; 1 more once `up` exists (gives up after 60 s).
  const script = `
    const fs = require('fs'), path = require('path'), dir = ${JSON.stringify(gate)};
    const wait = (f) => new Promise((r) => { const t = setInterval(() => { if (fs.existsSync(path.join(dir, f))) { clearInterval(t); r(); } }, 25); });
    setTimeout(() => process.exit(9), 60000).unref();
    (async () => {
      console.log('before 1'); console.log('before 2');
      await wait('down'); for (let i = 0; i < 7; i++) console.log('while down ' + i);
      await wait('up'); console.log('after');
    })();`;
  const live = spawnCli(s1, ['run', '--token', token, '--url', s1.url, '-d', 'worker.3', '--attempts', '2', '--', process.execPath, '-e', script]);
  await appLines(s1, app, (l) => l.length >= 2);
  await s1.stop();
  writeFileSync(path.join(gate, 'down'), '');
  assert.ok(await waitUntil(() => /; 7 lost since /.test(live.err()), 20_000), `expected 7 lines lost: ${live.err()}`);

  const s2 = await startSluice({ dataDir: s1.dataDir, apiKey: s1.apiKey, args: ['--http-port', String(s1.httpPort)] });
  t.after(() => s2.stop());
  writeFileSync(path.join(gate, 'up'), '');
  const { code } = await exitWithin(live, 20_000);
  assert.equal(code, 0, live.err());
  const lines = await appLines(s2, app, (l) => l.some((x) => x.endsWith(': after')));
  assert.deepEqual(msgs(lines).filter((m) => !m.startsWith('Error')), ['before 1', 'before 2', 'after']);
  const l13 = lines.filter((l) => l.includes('app[log-shuttle]: '));
  assert.equal(l13.length, 1, lines.join('\n'));
  assert.match(l13[0], new RegExp(`^${TIME} app\\[log-shuttle\\]: Error L13: 7 messages lost since ${TIME}\\.$`));
});

test('Sluice down for a whole `ship`: the next run to the same place reports the loss as L13', async (t) => {
  const s1 = await startSluice();
  const app = appName();
  const token = await s1.createAppWithToken(app);
  const url = s1.url;
  await s1.stop();
  const down = await cli(s1, ['ship', '--token', token, '--url', url, '-d', 'cron.1', '--attempts', '1', '--no-echo'], 'x\ny\nz\n');
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, /3 lost and 0 dropped lines are not reported yet/);
  assert.ok(!down.stderr.includes(token));

  const s2 = await startSluice({ dataDir: s1.dataDir, apiKey: s1.apiKey, args: ['--http-port', String(s1.httpPort)] });
  t.after(() => s2.stop());
  const up = await cli(s2, ['ship', '--token', token, '--url', url, '-d', 'cron.1', '--no-echo'], 'next run\n');
  assert.equal(up.code, 0, up.stderr);
  const lines = await appLines(s2, app, (l) => l.length >= 2);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0], new RegExp(`^${TIME} app\\[log-shuttle\\]: Error L13: 3 messages lost since ${TIME}\\.$`));
  assert.match(lines[1], new RegExp(`^${TIME} app\\[cron\\.1\\]: next run$`));
});
