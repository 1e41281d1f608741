// Connection exhaustion: hundreds of slow HTTP clients and idle syslog connections from one address
// (limits configured low) leave /healthz, POST /logs and a new syslog sender working.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startSluice, makeFrame, rfc5424, sendTcp, waitUntil, type Sluice } from './helpers/sluice.js';

const PER_ADDRESS = 40;
const TOTAL = 60;
const ATTACKERS = 300;

const open = new Set<net.Socket>();
after(() => {
  for (const s of open) s.destroy();
});

/** Opens `n` connections to `port`, one after another; each calls `hello` once connected. */
async function connectMany(port: number, n: number, hello: (s: net.Socket) => void): Promise<{ closedByServer: () => number }> {
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const sock = net.connect({ host: '127.0.0.1', port });
    open.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => {
      closed++;
      open.delete(sock);
    });
    await new Promise<void>((resolve) => {
      sock.once('connect', () => {
        hello(sock);
        resolve();
      });
      sock.once('close', () => resolve());
    });
  }
  return { closedByServer: () => closed };
}

async function metrics(s: Sluice): Promise<string> {
  return (await fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
}

/** One request on a connection of its own (no pool), so a probe never reuses a socket. */
function probe(s: Sluice, method: string, path: string, headers: Record<string, string> = {}, body = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: s.httpPort, method, path, headers, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

test('hundreds of slow HTTP clients: /healthz and POST /logs still answer, the slow ones are evicted and counted', async () => {
  const s = await startSluice({
    args: ['--http-max-connections-per-address', String(PER_ADDRESS), '--http-max-connections', String(TOTAL), '--http-headers-timeout-ms', '10000'],
  });
  try {
    const token = await s.createAppWithToken('conn-http', 'app');
    // A live tail opened before the flood: a connection answering a request is never evicted.
    const session = await s.api('POST', '/apps/conn-http/log-sessions', { tail: true, lines: 0 });
    assert.equal(session.status, 201, JSON.stringify(session.body));
    const tailUrl = new URL(String(session.body.logplex_url));
    let tailText = '';
    const tailReq = http.get({ host: '127.0.0.1', port: s.httpPort, path: `${tailUrl.pathname}${tailUrl.search}`, agent: false });
    const tailRes = await new Promise<http.IncomingMessage>((resolve, reject) => tailReq.on('response', resolve).on('error', reject));
    tailRes.setEncoding('utf8');
    tailRes.on('data', (c: string) => (tailText += c));
    // Slow-loris: a request line and one header byte at a time, never finishing the headers.
    const attack = await connectMany(s.httpPort, ATTACKERS, (sock) => sock.write('POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
    const drip = setInterval(() => {
      for (const sock of open) if (!sock.destroyed) sock.write('a');
    }, 250);
    try {
      const body = makeFrame(rfc5424(token, 'web.1', 'legit through the flood'));
      const auth = `Basic ${Buffer.from(`token:${token}`).toString('base64')}`;
      for (let i = 0; i < 20; i++) {
        assert.equal(await probe(s, 'GET', '/healthz'), 200, `healthz probe ${i}`);
        const status = await probe(s, 'POST', '/logs', { Authorization: auth, 'Content-Type': 'application/logplex-1', 'Content-Length': String(Buffer.byteLength(body)) }, body);
        assert.equal(status, 204, `POST /logs ${i}`);
      }
      assert.ok(attack.closedByServer() >= ATTACKERS - PER_ADDRESS, `${attack.closedByServer()} of ${ATTACKERS} slow connections closed by the server`);
      const m = await metrics(s);
      const evicted = /sluice_connections_evicted_total\{listener="http",reason="address_limit"\} (\d+)/.exec(m);
      assert.ok(evicted && Number(evicted[1]) >= ATTACKERS - PER_ADDRESS, m);
      const openNow = /sluice_connections_open\{listener="http"\} (\d+)/.exec(m);
      assert.ok(openNow && Number(openNow[1]) <= PER_ADDRESS, `open HTTP connections: ${openNow?.[1]}`);
      const lines = await s.waitForLogs('conn-http', (l) => l.filter((x) => x.includes('legit through the flood')).length >= 20);
      assert.equal(lines.filter((x) => x.includes('legit through the flood')).length, 20);
      assert.ok(await waitUntil(() => tailText.split('legit through the flood').length - 1 >= 20, 10_000), `the tail kept receiving:\n${tailText}`);
      assert.ok(!tailRes.destroyed && !tailRes.complete, 'the tail opened before the flood is still open');
      tailReq.destroy();
      assert.ok(await waitUntil(() => /HTTP connections? in the last 10 s at the connection limits/.test(s.output()), 5_000), s.output());
    } finally {
      clearInterval(drip);
    }
  } finally {
    for (const sock of open) sock.destroy();
    await s.stop();
  }
});

test('hundreds of idle syslog connections: a new sender’s lines are stored; the longest idle make room', async () => {
  const s = await startSluice({
    args: ['--syslog-max-connections-per-address', String(PER_ADDRESS), '--syslog-max-connections', String(TOTAL)],
  });
  try {
    const token = await s.createAppWithToken('conn-syslog', 'app');
    const idle = await connectMany(s.syslogPort, ATTACKERS, () => {});
    for (let i = 0; i < 10; i++) {
      const r = await sendTcp(s.syslogPort, `${rfc5424(token, 'web.1', `new sender ${i}`)}\n`);
      assert.equal(r.error, undefined, `sender ${i}: ${r.error}`);
    }
    const lines = await s.waitForLogs('conn-syslog', (l) => l.filter((x) => x.includes('new sender')).length >= 10);
    assert.equal(lines.filter((x) => x.includes('new sender')).length, 10, lines.join('\n'));
    assert.ok(idle.closedByServer() >= ATTACKERS - PER_ADDRESS, `${idle.closedByServer()} idle connections closed`);
    const m = await metrics(s);
    assert.match(m, /sluice_connections_evicted_total\{listener="tcp",reason="address_limit"\} [1-9]\d*/);
    const openNow = /sluice_connections_open\{listener="tcp"\} (\d+)/.exec(m);
    assert.ok(openNow && Number(openNow[1]) <= PER_ADDRESS, `open syslog connections: ${openNow?.[1]}`);
    assert.ok(await waitUntil(() => /syslog TCP connections? in the last 10 s at the connection limits/.test(s.output()), 5_000), s.output());
  } finally {
    for (const sock of open) sock.destroy();
    await s.stop();
  }
});
