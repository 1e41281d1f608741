// Hostile and unusual syslog input against a real node: Python's SysLogHandler with its defaults (NUL
// framing on TCP, a trailing NUL on UDP), a length prefix far over the limit, unknown tokens.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startSluice, runProgram, sendTcp, waitUntil, makeFrame, rfc5424, type Sluice } from './helpers/sluice.js';
import { requireProgram } from './helpers/external.js';

const TOKEN_TEXT = /t\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const COUNT = 1000;

// The handler exactly as an application configures it: only the address, the socket type and an
// ident (the token, as Logplex's TAG convention wants). Everything else is Python's default,
// including append_nul=True, which ends every message with a NUL and no newline.
const PYTHON = String.raw`
import logging, logging.handlers, socket, sys
port, token, count, kind = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
handler = logging.handlers.SysLogHandler(address=('127.0.0.1', port), socktype=socket.SOCK_STREAM if kind == 'tcp' else socket.SOCK_DGRAM)
handler.ident = token + ': '
log = logging.getLogger('sluice-test')
log.propagate = False
log.setLevel(logging.INFO)
log.addHandler(handler)
for i in range(count):
    log.info('python %s line %04d %s', kind, i, 'x' * (i % 40))
handler.close()
`;

let s: Sluice;
before(async () => {
  s = await startSluice();
});
after(async () => {
  await s?.stop();
});

async function python(t: TestContext, kind: 'tcp' | 'udp', token: string): Promise<boolean> {
  if (!requireProgram(t, 'python3')) return false;
  const r = await runProgram('python3', ['-c', PYTHON, String(s.syslogPort), token, String(COUNT), kind], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return true;
}

async function metrics(): Promise<string> {
  const res = await fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  return res.text();
}

for (const kind of ['tcp', 'udp'] as const) {
  test(`Python SysLogHandler over ${kind.toUpperCase()} with its defaults: ${COUNT} of ${COUNT} messages stored, one line each, no NUL, no token`, async (t) => {
    const app = `py-${kind}-${process.pid % 10000}`;
    const token = await s.createAppWithToken(app, 'app');
    if (!(await python(t, kind, token))) return;
    const want = (l: string[]): string[] => l.filter((x) => / app: python /.test(x));
    const lines = want(await s.waitForLogs(app, (l) => want(l).length >= COUNT, { timeoutMs: 20_000 }));
    const expected = Array.from({ length: COUNT }, (_, i) => `python ${kind} line ${String(i).padStart(4, '0')} ${'x'.repeat(i % 40)}`);
    assert.equal(lines.length, COUNT, `${lines.length} of ${COUNT} lines stored`);
    const total = expected.reduce((n, m) => n + m.length, 0);
    assert.ok(total > 10 * 1024, `the stream is over 10 KiB (${total} bytes)`);
    for (const [i, line] of lines.entries()) {
      assert.ok(!line.includes('\0'), `line ${i} holds a NUL: ${JSON.stringify(line)}`);
      assert.doesNotMatch(line, TOKEN_TEXT, `line ${i} holds a token`);
      assert.ok(line.endsWith(` app: ${expected[i]}`), `line ${i}: ${JSON.stringify(line)}`);
    }
    const all = (await s.readLogs(app, { lines: 1500 })).join('\n');
    assert.ok(!all.includes(token), 'the token appears nowhere in the app log');
  });
}

test('a length prefix far over the limit is refused at once, counted, and the frames after the next LF/NUL are stored', async () => {
  const app = `py-len-${process.pid % 10000}`;
  const token = await s.createAppWithToken(app, 'app');
  const before = /sluice_syslog_discarded_bytes_total\{transport="tcp"\} (\d+)/.exec(await metrics());
  const bad = `99999999999 ${rfc5424(token, 'web.1', 'would have swallowed')}\0`;
  await sendTcp(s.syslogPort, [bad, makeFrame(rfc5424(token, 'web.1', 'first after')), `${rfc5424(token, 'web.1', 'second after')}\n`]);
  const lines = await s.waitForLogs(app, (l) => l.some((x) => x.includes('second after')));
  assert.ok(lines.some((x) => x.endsWith('app[web.1]: first after')), lines.join('\n'));
  assert.ok(lines.some((x) => x.endsWith('app[web.1]: second after')), lines.join('\n'));
  assert.ok(!lines.some((x) => x.includes('swallowed')));
  const m = await metrics();
  const after = /sluice_syslog_discarded_bytes_total\{transport="tcp"\} (\d+)/.exec(m);
  assert.ok(after, m);
  assert.equal(Number(after[1]) - Number(before?.[1] ?? 0), Buffer.byteLength(bad), 'every discarded byte is counted');
  assert.match(m, /sluice_input_rejected_total\{transport="tcp",reason="malformed"\} [1-9]/);
});

test('lines with an unknown token are counted and said once per interval in the server log, without the token', async () => {
  const stranger = 't.00000000-1111-4222-8333-444444444444';
  for (let i = 0; i < 5; i++) await sendTcp(s.syslogPort, `<14>${stranger}: hello ${i}\0`);
  const said = await waitUntil(() => /dropped \d+ syslog lines? with unknown tokens in the last 10 s from 127\.0\.0\.1/.test(s.output()), 10_000);
  assert.ok(said, s.output());
  const mentions = s.output().split('\n').filter((l) => l.includes('unknown tokens'));
  assert.ok(mentions.length >= 1 && mentions.length < 5, `5 drops: the first said at once, the rest summarised per interval:\n${mentions.join('\n')}`);
  assert.ok(!s.output().includes(stranger), 'the token is never written to the server log');
  assert.match(await metrics(), /sluice_input_rejected_total\{transport="tcp",reason="unknown_token"\} [5-9]/);
});
