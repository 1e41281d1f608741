// The real Heroku CLI (heroku@11.10.0) against a real sluice: `heroku logs` with its flags.
// See SPEC §5 and reference/heroku.md §5.2.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSluice, makeFrame, rfc5424, fixedTime, waitUntil, type Sluice } from './helpers/sluice.js';
import { requireHeroku, runHeroku, spawnHeroku } from './helpers/heroku-cli.js';

const APP = 'cliapp';

interface Entry {
  source: 'app' | 'heroku';
  procid: string;
  msg: string;
  time: string;
}

// 300 lines; procids chosen to probe the prefix rule (web.10, webhook.1 are traps).
const entries: Entry[] = [];
for (let i = 0; i < 300; i++) {
  const k = i % 10;
  const [source, procid]: [Entry['source'], string] =
    k <= 3
      ? ['app', 'web.1']
      : k === 4
        ? ['app', 'web.2']
        : k === 5
          ? ['app', 'worker.1']
          : k === 6
            ? ['app', 'web.10']
            : k === 7
              ? ['app', 'webhook.1']
              : k === 8
                ? ['heroku', 'router']
                : ['heroku', 'web.1'];
  entries.push({ source, procid, msg: `line ${i} from ${source}/${procid}`, time: fixedTime(i) });
}
const text = (e: Entry): string => `${e.time} ${e.source}[${e.procid}]: ${e.msg}`;
const dynoMatch = (procid: string, d: string): boolean => procid === d || procid.startsWith(`${d}.`);
const out = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');
const last = <T>(xs: T[], n: number): T[] => xs.slice(Math.max(0, xs.length - n));

let s: Sluice;
let appTok = '';
let haveCli = false;

before(async () => {
  s = await startSluice();
  appTok = await s.createAppWithToken(APP, 'app');
  const t = await s.api('POST', `/apps/${APP}/log-tokens`, { name: 'heroku' });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const herokuTok = t.body.token as string;
  // Post in arrival order, in batches, each batch from one token.
  let i = 0;
  while (i < entries.length) {
    const src = entries[i].source;
    const frames: string[] = [];
    while (i < entries.length && entries[i].source === src && frames.length < 50) {
      const e = entries[i++];
      frames.push(makeFrame(rfc5424(src === 'app' ? appTok : herokuTok, e.procid, e.msg, e.time)));
    }
    const r = await s.postLogs(src === 'app' ? appTok : herokuTok, frames);
    assert.equal(r.status, 204, `POST /logs: ${r.status} ${r.body}`);
  }
  const all = await s.waitForLogs(APP, (ls) => ls.includes(text(entries[entries.length - 1])));
  assert.deepEqual(last(all, 300), entries.map(text), 'sluice history holds the posted lines in order');
});

after(async () => {
  await s?.stop();
});

async function heroku(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runHeroku(args, { url: s.url, apiKey: s.apiKey });
  return r;
}

async function expectLogs(args: string[], expected: string[]): Promise<void> {
  const r = await heroku(['logs', '-a', APP, ...args]);
  assert.equal(r.stdout, out(expected), `heroku logs ${args.join(' ')}\nstderr: ${r.stderr}`);
  assert.equal(r.code, 0, `exit code of heroku logs ${args.join(' ')}; stderr: ${r.stderr}`);
}

test('heroku logs -a APP: default 100 lines, oldest first, exact lines', async (t) => {
  if (!(haveCli = await requireHeroku(t))) return;
  await expectLogs([], last(entries, 100).map(text));
});

test('heroku logs -n 5, and -n 2000 (capped at the 1,500-line history: everything)', async (t) => {
  if (!haveCli && !(await requireHeroku(t))) return;
  const everything = await s.readLogs(APP, { lines: 1500 });
  assert.deepEqual(last(everything, 300), entries.map(text));
  await Promise.all([
    expectLogs(['-n', '2000'], everything),
    expectLogs(['-n', '5'], [
      `${fixedTime(295)} app[worker.1]: line 295 from app/worker.1`,
      `${fixedTime(296)} app[web.10]: line 296 from app/web.10`,
      `${fixedTime(297)} app[webhook.1]: line 297 from app/webhook.1`,
      `${fixedTime(298)} heroku[router]: line 298 from heroku/router`,
      `${fixedTime(299)} heroku[web.1]: line 299 from heroku/web.1`,
    ]),
  ]);
});

// Non-tail `heroku logs` lingers ~3 s after its output (eventsource 4.1.1 arms its reconnect timer
// after the CLI has closed it on end of stream), so independent runs go in parallel.
test('heroku logs -s app / -s heroku (exact source match)', async (t) => {
  if (!haveCli && !(await requireHeroku(t))) return;
  const ours = entries.filter((e) => e.source === 'heroku').map(text);
  const [, , r] = await Promise.all([
    expectLogs(['-s', 'app'], last(entries.filter((e) => e.source === 'app'), 100).map(text)),
    expectLogs(['-s', 'heroku', '-n', '20'], last(ours, 20)),
    // Without -n the heroku source also has the API's own lines (app/token creation) before ours.
    heroku(['logs', '-a', APP, '-s', 'heroku']),
    // A source that nobody wrote: no lines, still exit 0.
    expectLogs(['-s', 'nosuchsource'], []),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').slice(0, -1);
  assert.deepEqual(last(lines, ours.length), ours);
  for (const l of lines.slice(0, lines.length - ours.length)) assert.match(l, /^\S+ heroku\[api\]: /);
});

test('heroku logs -d web.1 (exact) and -d web (prefix: web.1, web.2, web.10, not worker.1/webhook.1)', async (t) => {
  if (!haveCli && !(await requireHeroku(t))) return;
  const web = entries.filter((e) => dynoMatch(e.procid, 'web'));
  assert.ok(web.some((e) => e.procid === 'web.10') && !web.some((e) => e.procid === 'webhook.1'));
  await Promise.all([
    expectLogs(['-d', 'web.1'], last(entries.filter((e) => e.procid === 'web.1'), 100).map(text)),
    expectLogs(['-d', 'web', '-n', '300'], web.map(text)),
    expectLogs(['-d', 'router', '-n', '3'], last(entries.filter((e) => e.procid === 'router'), 3).map(text)),
  ]);
});

test('heroku logs -p worker, and -p web -s app', async (t) => {
  if (!haveCli && !(await requireHeroku(t))) return;
  await Promise.all([
    expectLogs(['-p', 'worker'], entries.filter((e) => e.procid.split('.')[0] === 'worker').map(text)),
    expectLogs(
      ['-p', 'web', '-s', 'app', '-n', '30'],
      last(entries.filter((e) => e.source === 'app' && e.procid.split('.')[0] === 'web'), 30).map(text),
    ),
  ]);
});

test('heroku logs -t: history, then live lines as they arrive', async (t) => {
  if (!haveCli && !(await requireHeroku(t))) return;
  const child = await spawnHeroku(['logs', '-a', APP, '-t', '-n', '2'], { url: s.url, apiKey: s.apiKey });
  try {
    const hist = last(entries, 2).map(text);
    const gotHistory = await waitUntil(() => child.stdout() === out(hist), 15_000);
    assert.ok(gotHistory, `history of the tail: stdout=${JSON.stringify(child.stdout())} stderr=${child.stderr()}`);

    const live: string[] = [];
    for (let i = 0; i < 3; i++) {
      const time = fixedTime(1000 + i);
      const r = await s.postLogs(appTok, [makeFrame(rfc5424(appTok, 'web.3', `live ${i}`, time))]);
      assert.equal(r.status, 204);
      live.push(`${time} app[web.3]: live ${i}`);
      // each line shows up on its own, without waiting for more input
      const seen = await waitUntil(() => child.stdout() === out([...hist, ...live]), 10_000);
      assert.ok(seen, `live line ${i}: stdout=${JSON.stringify(child.stdout())} stderr=${child.stderr()}`);
    }
    assert.equal(child.proc.exitCode, null, 'the tail is still running');
  } finally {
    await child.kill();
  }
});

test('heroku logs -a unknown app: non-zero exit and "Couldn\'t find that app."', async (t) => {
  if (!haveCli && !(await requireHeroku(t))) return;
  const r = await heroku(['logs', '-a', 'no-such-app']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Couldn't find that app\./);
  assert.equal(r.stdout, '');
});
