// Strict RFC 5424 HTTP drains (`--format rfc5424`) checked by real third-party parsers from npm
// (nsyslog-parser, glossy); the default stays Heroku's layout. Also the Logplex User-Agent.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, test } from 'node:test';
import { httpReceiver, splitFrames, type HttpReceiver } from './drains-support.js';
import { makeFrame, rfc5424, runSluiceCli, startSluice, waitUntil } from './helpers/sluice.js';

const require = createRequire(import.meta.url);
interface Parsed {
  host?: string;
  appName?: string;
  pid?: string;
  message?: string;
  structuredData?: unknown[];
  type?: string;
}
const nsyslog = require('nsyslog-parser') as (line: string) => Parsed;
const glossy = (require('glossy') as { Parse: { parse(line: string): Parsed | undefined } }).Parse;

let rx: HttpReceiver | undefined;
after(async () => rx?.close());

// Messages a lenient parser gets right by luck and a strict one does not, in Heroku's layout.
const MESSAGES = ['State changed from starting to up', '[req] 200 OK in 3 ms', '- dash first', 'ünïcödé ✓ [x="y"]'];

test('a drain added with `sluice drains:add URL --format rfc5424` sends frames every strict parser reads back exactly', { timeout: 60_000 }, async () => {
  rx = await httpReceiver();
  const s = await startSluice();
  const token = await s.createAppWithToken('strict');
  const url = `http://127.0.0.1:${rx.port}/strict`;
  const add = await runSluiceCli(['drains:add', url, '--format', 'rfc5424', '-a', 'strict', '--json'], s);
  assert.equal(add.code, 0, add.stderr);
  const d = JSON.parse(add.stdout) as { id: string; format?: string };
  assert.equal(d.format, 'rfc5424');
  assert.equal((await s.api('GET', `/apps/strict/log-drains/${d.id}`)).body.format, 'rfc5424');
  // The default is unchanged: a second drain without a format gets Heroku's layout.
  const heroku = (await s.api('POST', '/apps/strict/log-drains', { url: `http://127.0.0.1:${rx.port}/heroku` })).body as { id: string; format?: string };
  assert.equal(heroku.format, undefined);
  assert.equal((await s.api('POST', '/apps/strict/log-drains', { url: `http://127.0.0.1:${rx.port}/x`, format: 'json' })).status, 422);
  assert.equal((await s.postLogs(token, MESSAGES.map((m) => makeFrame(rfc5424(token, 'web.3', m))))).status, 204);
  const r = rx;
  const framesOf = (path: string): string[] => r.requests.filter((q) => q.url === path).flatMap((q) => (q.body.length ? splitFrames(q.body) : []));
  assert.ok(await waitUntil(() => framesOf('/strict').filter((f) => f.includes(' web.3 ')).length === MESSAGES.length && framesOf('/heroku').filter((f) => f.includes(' web.3 ')).length === MESSAGES.length, 15_000));

  const strict = framesOf('/strict');
  assert.ok(strict.length > MESSAGES.length - 1);
  for (const f of strict) {
    const text = f.replace(/\n$/, '');
    for (const [name, parse] of [['nsyslog-parser', nsyslog], ['glossy', glossy.parse.bind(glossy)]] as const) {
      const p = parse(text);
      assert.ok(p, `${name} parsed ${text}`);
      assert.equal(p.host, 'host', name);
      assert.equal(p.type, 'RFC5424', name);
      if (name === 'nsyslog-parser') assert.deepEqual(p.structuredData, [], `${name}: no STRUCTURED-DATA in ${text}`);
    }
    assert.match(text, /^<\d+>1 \S+ host \S+ \S+ - - /);
  }
  const appFrames = strict.filter((f) => f.includes(' web.3 ')).map((f) => f.replace(/\n$/, ''));
  assert.deepEqual(appFrames.map((f) => nsyslog(f).message), MESSAGES, 'nsyslog-parser reads every message back exactly');
  assert.deepEqual(appFrames.map((f) => glossy.parse(f)?.message), MESSAGES, 'glossy reads every message back exactly');
  assert.deepEqual(appFrames.map((f) => nsyslog(f).pid), MESSAGES.map(() => 'web.3'));

  // Heroku's layout (no STRUCTURED-DATA at all) is what a strict parser cannot read.
  const herokuFrames = framesOf('/heroku').filter((f) => f.includes(' web.3 ')).map((f) => f.replace(/\n$/, ''));
  assert.match(herokuFrames[0], /^<\d+>1 \S+ host app web\.3 - State changed from starting to up$/);
  assert.notDeepEqual(herokuFrames.map((f) => nsyslog(f).message), MESSAGES);

  const ua = r.requests[0].headers['user-agent'];
  assert.match(String(ua), /^Logplex\/v72 \(compatible; Sluice\/\d+\.\d+\.\d+\)$/);
  await s.stop();
});

