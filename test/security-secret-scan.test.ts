// End to end: lines carrying log tokens enter through every input (TCP LF/NUL/octet, UDP, TLS, POST
// /logs) of a real node with an HTTP and a syslog drain; no log token, API key or drain URL password
// appears in any stored line, any byte a drain received, /metrics or the server's own log.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startSluice, makeFrame, rfc5424, sendTcp, sendUdp, waitUntil } from './helpers/sluice.js';
import { httpReceiver, makeCerts, removeDir, streamReceiver } from './drains-support.js';

const TOKEN_TEXT = /t\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const certs = makeCerts();
after(() => removeDir(certs.dir));

function sendTls(port: number, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca: certs.ca, servername: 'localhost' }, () => {
      sock.end(data, () => setTimeout(() => (sock.destroy(), resolve()), 100));
    });
    sock.on('error', reject);
  });
}

test('no token, key or URL password in stored lines, drain bytes, /metrics or the server log', async () => {
  const http = await httpReceiver();
  const syslog = await streamReceiver();
  const s = await startSluice({ args: ['--syslog-tls-port', '0', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile] });
  try {
    const tlsPort = Number(/syslog-tls=(\d+)/.exec(s.output())?.[1]);
    assert.ok(tlsPort > 0, s.output());
    const token = await s.createAppWithToken('scan', 'app');
    const other = await s.createAppWithToken('scan-other', 'app');
    const key = await s.api('POST', '/api-keys', { name: 'scan-bot', apps: ['scan'] });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const limitedKey = String(key.body.key);
    const drainPassword = `pw-${Date.now()}-drain-secret`;
    for (const url of [`http://drainuser:${drainPassword}@127.0.0.1:${http.port}/logs`, `syslog://127.0.0.1:${syslog.port}`]) {
      const d = await s.api('POST', '/apps/scan/log-drains', { url });
      assert.equal(d.status, 201, JSON.stringify(d.body));
    }

    // Each message names the token where it belongs (APP-NAME / TAG) and mentions both apps' tokens
    // in its text, as a pasted config would; the keys and the drain password travel only where
    // Sluice itself puts them (API calls, drain URLs, audit lines).
    const text = (via: string): string => `via ${via} token=${token} other=${other}`;
    const m5424 = (via: string): string => rfc5424(token, 'web.1', text(via));
    await sendTcp(s.syslogPort, [
      `${m5424('tcp-lf')}\n`,
      `<14>${token}: ${text('tcp-nul')}\0<14>${token}: ${text('tcp-nul-2')}\0`,
      makeFrame(m5424('tcp-octet')),
      makeFrame(`${m5424('tcp-glued')}\0${m5424('tcp-glued-2')}`),
    ]);
    await sendUdp(s.syslogPort, [`<14>${token}: ${text('udp-nul')}\0`, `${m5424('udp-lf')}\n`]);
    await sendTls(tlsPort, `<14>${token}: ${text('tls-nul')}\0${makeFrame(m5424('tls-octet'))}`);
    assert.equal((await s.postLogs(token, [makeFrame(m5424('http'))])).status, 204);

    const vias = ['tcp-lf', 'tcp-nul', 'tcp-nul-2', 'tcp-octet', 'tcp-glued', 'tcp-glued-2', 'udp-nul', 'udp-lf', 'tls-nul', 'tls-octet', 'http'];
    const has = (l: string[]): boolean => vias.every((v) => l.some((x) => x.includes(`via ${v} `)));
    const stored = await s.waitForLogs('scan', has);
    assert.ok(has(stored), `every input's line is stored:\n${stored.join('\n')}`);
    assert.ok(await waitUntil(() => vias.every((v) => http.requests.some((r) => r.body.includes(`via ${v} `))), 15_000), 'HTTP drain got every line');
    assert.ok(await waitUntil(() => vias.every((v) => syslog.data().includes(`via ${v} `)), 15_000), 'syslog drain got every line');

    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    const places: Record<string, string> = {
      'stored lines': stored.join('\n'),
      'HTTP drain bodies': http.requests.map((r) => r.body.toString('utf8')).join('\n'),
      // The HTTP drain's own credentials are in its Authorization header, as they must be; every other header is scanned.
      'HTTP drain headers': http.requests.map((r) => Object.entries(r.headers).filter(([k]) => k !== 'authorization').join('\n')).join('\n'),
      'syslog drain bytes': syslog.data().toString('utf8'),
      '/metrics': metrics,
      'server log': s.output(),
    };
    for (const [where, content] of Object.entries(places)) {
      assert.doesNotMatch(content, TOKEN_TEXT, `a log token in ${where}`);
      for (const secret of [token, other, s.apiKey, limitedKey, drainPassword]) assert.ok(!content.includes(secret), `a secret in ${where}`);
      assert.ok(!content.includes('\0'), `a NUL in ${where}`);
    }
  } finally {
    await s.stop();
    await http.close();
    await syslog.close();
  }
});
