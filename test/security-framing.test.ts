// Property: however a stream carrying log tokens is framed (octet-counted, LF, NUL, CRLF, mixed, even
// glued by a wrong count) and however it is split into chunks, no routed line holds a token's text,
// and every chunk split routes the same lines. Real framer, real per-message path, real router
// over a real SQLite store.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { LogLine } from '../src/core/log-line.js';
import { newId, newLogToken } from '../src/core/ids.js';
import { DrainQueue } from '../src/drains/queue/queue.js';
import { syslogEncoder } from '../src/drains/encoder.js';
import { DropReport } from '../src/ingest/drop-report.js';
import { syslogLineHandler } from '../src/ingest/syslog-lines.js';
import { Router } from '../src/router/router.js';
import { openDatabase } from '../src/store/sqlite-db.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { ingestEvents } from '../src/telemetry/catalogue.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { Metrics } from '../src/telemetry/metrics.js';
import { StreamFramer } from '../src/wire/octet-stream.js';

const TOKEN_TEXT = /t\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-framing-'));
const db = openDatabase(dir);
after(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
const store = new SqliteStore(db);
const router = new Router(store);
const delivered: LogLine[] = [];
// A syslog drain's encoder gets each line with the frame it came in (when ingest passes one): the
// bytes it queues must be the string encoder's, token-free, even though the frame holds a token.
const drainEncoder = syslogEncoder('d.00000000-0000-4000-8000-000000000000');
const drainQueue = new DrainQueue({ memoryBytes: 64 << 20, blockBytes: 64 << 20, blockLines: Number.MAX_SAFE_INTEGER });
const drainWant: Buffer[] = [];
router.subscribe({
  deliver: (_app, line, wire) => {
    delivered.push({ ...line });
    drainEncoder.put(drainEncoder.prepare(line, wire), drainQueue);
    drainWant.push(drainEncoder.frame(line));
  },
});
const metrics = new Metrics();
const handle = syslogLineHandler(router, ingestEvents(metrics), 'tcp', new DropReport(silentLogger(), { fields: {}, describe: () => '' }));

const tokens = [newLogToken(), newLogToken()];
const unknownToken = newLogToken();
const now = new Date('2026-01-02T03:04:05Z');

/** Routes `stream` cut at `cuts` through a fresh framer; the lines routed, as JSON. */
function route(stream: Buffer, cuts: number[]): string[] {
  delivered.length = 0;
  drainWant.length = 0;
  const framer = new StreamFramer({ frame: (f) => void handle(f.toString(), now, '127.0.0.1', f), malformed: () => undefined });
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    const chunk = Buffer.from(stream.subarray(from, cut));
    framer.push(chunk);
    chunk.fill(0); // a frame kept past push() would now read zeros
    from = cut;
  }
  framer.end();
  const block = drainQueue.take();
  const drained = block?.buf ?? Buffer.alloc(0);
  if (block) drainQueue.ack(block);
  assert.doesNotMatch(drained.toString('utf8'), TOKEN_TEXT, 'a drain queued token text');
  assert.deepEqual(drained, Buffer.concat(drainWant), 'the drain bytes copied from frames equal the encoded lines');
  // `time` aside: a line with no timestamp gets the clock's, which never repeats (sluice keeps it increasing).
  return delivered.map(({ time: _time, ...l }) => JSON.stringify(l));
}

const bodyText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é', '🚀', '\x1b', '[', ']', ':', '1', '<', '\r'), maxLength: 30 });
const who = fc.oneof(fc.constantFrom(...tokens), fc.constant(unknownToken));
/** One syslog message carrying a token: RFC 5424, RFC 3164 with a TAG, or Python SysLogHandler's `<PRI>ident: msg`. */
const message = fc
  .tuple(who, fc.constantFrom('5424', '3164', 'python'), bodyText, fc.boolean(), fc.constantFrom(...tokens))
  .map(([token, dialect, body, mention, other]) => {
    // Some messages also mention a token in their text (a pasted log line, a config dump).
    const text = (mention ? `${body} token=${other}` : body).replace(/\r$/, '');
    if (dialect === '5424') return `<14>1 2026-01-02T03:04:05.000000+00:00 host ${token} web.1 - - ${text}`;
    if (dialect === '3164') return `<14>Jan  2 03:04:05 host ${token}[web.2]: ${text}`;
    return `<14>${token}: ${text}`;
  });
/** How one message is put on the wire; `glue` counts it together with the next (a broken sender). */
const framing = fc.constantFrom('octet', 'lf', 'nul', 'crlf', 'octet-lf', 'octet-nul', 'glue-nul', 'glue-lf');

function encode(parts: Array<[string, string]>): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    const [msg, how] = parts[i];
    const m = Buffer.from(msg, 'utf8');
    if (how === 'lf') out.push(m, Buffer.from('\n'));
    else if (how === 'nul') out.push(m, Buffer.from('\0'));
    else if (how === 'crlf') out.push(m, Buffer.from('\r\n'));
    else if (how.startsWith('glue') && i + 1 < parts.length) {
      const glued = Buffer.concat([m, Buffer.from(how === 'glue-nul' ? '\0' : '\n'), Buffer.from(parts[++i][0], 'utf8')]);
      out.push(Buffer.from(`${glued.length} `), glued);
    } else {
      const tail = how === 'octet-lf' ? '\n' : how === 'octet-nul' ? '\0' : '';
      const body = Buffer.concat([m, Buffer.from(tail)]);
      out.push(Buffer.from(`${body.length} `), body);
    }
  }
  return Buffer.concat(out);
}

test('property: no routed line holds token text, and every chunk split routes the same lines', async () => {
  const app = { id: newId(), name: 'framing', created_at: now.toISOString(), updated_at: now.toISOString() };
  await store.putApp(app);
  for (const [i, token] of tokens.entries()) {
    await store.putToken({ id: newId(), app_id: app.id, name: `src${i}`, token, created_at: now.toISOString() });
  }
  const streams = fc
    .array(fc.tuple(message, framing), { minLength: 1, maxLength: 10 })
    .map((parts) => ({ parts, stream: encode(parts) }))
    .chain(({ parts, stream }) =>
      fc.tuple(fc.constant(parts), fc.constant(stream), fc.uniqueArray(fc.integer({ min: 0, max: stream.length }), { maxLength: 10 }).map((c) => c.sort((x, y) => x - y))),
    );
  let routedAny = 0;
  fc.assert(
    fc.property(streams, ([parts, stream, cuts]) => {
      const whole = route(stream, []);
      for (const line of whole) assert.doesNotMatch(line, TOKEN_TEXT, `routed: ${line}`);
      assert.ok(whole.every((l) => !l.includes('\\u0000')), 'no NUL in a routed line');
      // Every message with a known token and its own terminator is a line of its own.
      const own = parts.filter(([m, how], i) => how !== 'glue-lf' && (i === 0 || parts[i - 1][1] !== 'glue-lf') && tokens.some((t) => m.includes(` ${t} `) || m.includes(` ${t}[`) || m.includes(`>${t}:`)));
      assert.ok(whole.length >= own.length, `${whole.length} lines routed for ${own.length} well-framed messages with known tokens`);
      routedAny += whole.length;
      assert.deepEqual(route(stream, cuts), whole);
    }),
    { numRuns: 400 },
  );
  assert.ok(routedAny > 100, 'the property routed lines at all');
});
