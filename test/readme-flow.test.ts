// The README's flow with real tools: curl POSTs logplex-1, util-linux logger sends TCP and UDP, `sluice logs` shows all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requireProgram } from './helpers/external.js';
import { makeFrame, runProgram, runSluiceCli, startSluice, type Sluice } from './helpers/sluice.js';

let s: Sluice;
let token = '';
before(async () => {
  s = await startSluice();
  token = await s.createAppWithToken('readme');
});
after(() => s.stop());

test('curl, logger --tcp --octet-count --rfc5424 and logger --udp --rfc3164 lines all reach `sluice logs`', async (t) => {
  if (!requireProgram(t, 'curl') || !requireProgram(t, 'logger')) return;
  const body = makeFrame(`<190>1 2026-01-01T00:00:00.000000+00:00 host app web.1 - - Hello from curl ✓`);
  const curl = await runProgram('curl', [
    '-sS', '-o', '/dev/null', '-w', '%{http_code}', '-u', `token:${token}`,
    '-H', 'Content-Type: application/logplex-1', '-H', 'Logplex-Msg-Count: 1',
    '--data-binary', body, `${s.url}/logs`,
  ]);
  assert.equal(curl.stdout, '204', curl.stderr);
  const port = String(s.syslogPort);
  const tcp = await runProgram('logger', ['--tcp', '--octet-count', '--rfc5424', '-n', '127.0.0.1', '-P', port, '-t', token, '--id=7', 'Hello over TCP']);
  assert.equal(tcp.code, 0, tcp.stderr);
  const udp = await runProgram('logger', ['--udp', '--rfc3164', '-n', '127.0.0.1', '-P', port, '-t', `${token}[web.1]`, 'Hello over UDP']);
  assert.equal(udp.code, 0, udp.stderr);

  const lines = await s.waitForLogs('readme', (l) => l.filter((x) => / app\[/.test(x)).length >= 3, { source: 'app' });
  const cli = await runSluiceCli(['logs', '-a', 'readme', '-s', 'app'], s);
  assert.equal(cli.code, 0, cli.stderr);
  const out = cli.stdout.trimEnd().split('\n');
  assert.equal(out.length, 3, cli.stdout);
  assert.equal(out[0], '2026-01-01T00:00:00.000000+00:00 app[web.1]: Hello from curl ✓');
  assert.match(out[1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d app\[7\]: Hello over TCP$/);
  assert.match(out[2], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000\+00:00 app\[web\.1\]: Hello over UDP$/);
  assert.ok(lines.length >= 3);
});
