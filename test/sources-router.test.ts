// Router logs (SPEC §3.3): a real nginx with its own prefix on 127.0.0.1 proxies to a backend and
// sends `access_log syslog:` to Sluice's router port with the documented log_format; the lines
// show up as `heroku[router]` in the log of the app that owns the Host. Plus the secret, unknown
// hosts and metrics with raw datagrams.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { startSluice, runSluiceCli, sendUdp, waitUntil, type Sluice } from './helpers/sluice.js';
import { startNginx } from './helpers/nginx.js';

const SECRET = 'rtr-secret-0123456789abcdef';
const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00`;

let s: Sluice;
let backend: http.Server;
let backendPort = 0;

before(async () => {
  s = await startSluice({ args: ['--router-port', '0', '--router-secret', SECRET] });
  assert.ok(s.routerPort, 'the listening line names the router port');
  // The "dyno": answers 13 bytes, or 404 under /missing.
  backend = http.createServer((req, res) => {
    if (req.url?.startsWith('/missing')) res.writeHead(404, { 'Content-Length': '2' }).end('no');
    else res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '13' }).end('Hello, world!');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as net.AddressInfo).port;
});
after(async () => {
  await s?.stop();
  backend?.closeAllConnections();
  await new Promise<void>((r) => (backend ? backend.close(() => r()) : r()));
});

/** The documented snippet (docs/sources.md), with this test's ports and paths: the body of `http {}`. */
function nginxHttp(listenPort: number): string {
  return `  access_log off;

  map $http_x_request_id $sluice_request_id { default $http_x_request_id; "" $request_id; }
  map $upstream_addr $sluice_dyno { default web.1; }
  log_format sluice_router '${SECRET} method="$request_method" host="$host" status="$status" '
    'bytes="$body_bytes_sent" connect="$upstream_connect_time" upstream_time="$upstream_response_time" '
    'request_time="$request_time" protocol="$scheme" msec="$msec" dyno="$sluice_dyno" '
    'request_id="$sluice_request_id" fwd="$proxy_add_x_forwarded_for" path="$request_uri"';

  server {
    listen 127.0.0.1:${listenPort};
    access_log syslog:server=127.0.0.1:${s.routerPort},tag=sluice_router,nohostname sluice_router;
    location / {
      proxy_pass http://127.0.0.1:${backendPort};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Request-Id $sluice_request_id;
    }
  }`;
}

function get(port: number, p: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, headers, timeout: 10_000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

async function routerLines(app: string, want: number): Promise<string[]> {
  const r = await waitUntil(async () => (await s.readLogs(app, { lines: 1500, source: 'heroku', dyno: 'router' })).length >= want, 10_000, 100);
  assert.ok(r, `expected ${want} router lines in ${app}`);
  const cli = await runSluiceCli(['logs', '-a', app, '-n', '1500', '-s', 'heroku', '-d', 'router'], s);
  assert.equal(cli.code, 0, cli.stderr);
  return cli.stdout.trimEnd().split('\n');
}

test('nginx access_log syslog: → `heroku[router]: at=info method=GET path="/x" host=… status=200 …` in the app that owns the Host', async (t) => {
  const ng = await startNginx(t, (_dir, port) => nginxHttp(port));
  if (!ng) return;
  assert.equal((await s.api('POST', '/apps', { name: 'routed-app' })).status, 201);
  assert.equal((await s.api('POST', '/apps/routed-app/domains', { hostname: 'myapp.example.test' })).status, 201);
  assert.equal((await s.api('POST', '/apps', { name: 'other-app' })).status, 201);

  const a = await get(ng.port, '/x', { Host: 'myapp.example.test' });
  assert.deepEqual(a, { status: 200, body: 'Hello, world!' });
  const b = await get(ng.port, '/missing?q=1&r="2"', { Host: 'MyApp.Example.Test:8080', 'X-Request-Id': 'req-abc-123', 'X-Forwarded-For': '204.204.204.204' });
  assert.equal(b.status, 404);
  const c = await get(ng.port, '/nobody', { Host: 'unknown.example.test' });
  assert.equal(c.status, 200);

  const lines = await routerLines('routed-app', 2);
  assert.equal(lines.length, 2, lines.join('\n'));
  // Two datagrams: order them by path rather than trusting arrival order.
  const x = lines.find((l) => l.includes('path="/x"')) ?? '';
  const missing = lines.find((l) => l.includes('path="/missing')) ?? '';
  assert.match(
    x,
    new RegExp(
      `^${TIME} heroku\\[router\\]: at=info method=GET path="/x" host=myapp\\.example\\.test request_id=[0-9a-f]{32} ` +
        `fwd="127\\.0\\.0\\.1" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=200 bytes=13 protocol=http$`,
    ),
  );
  // The client's request id and X-Forwarded-For travel; a quote in the path stays escaped.
  assert.match(
    missing,
    new RegExp(
      `^${TIME} heroku\\[router\\]: at=info method=GET path="/missing\\?q=1&r=\\\\x222\\\\x22" host=myapp\\.example\\.test request_id=req-abc-123 ` +
        `fwd="204\\.204\\.204\\.204, 127\\.0\\.0\\.1" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=404 bytes=2 protocol=http$`,
    ),
  );
  assert.ok(!lines.join('\n').includes(SECRET), 'the secret never shows');
  // The unknown host went nowhere; the other app got nothing.
  assert.deepEqual(await s.readLogs('other-app', { source: 'heroku', dyno: 'router' }), []);
  const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /sluice_router_lines_total\{result="routed"\} 2\b/);
  assert.match(metrics, /sluice_router_lines_total\{result="unknown_host"\} [1-9]/);
});

test('router port: a wrong or missing secret is counted and dropped; the secret is in no output', async () => {
  assert.equal((await s.api('POST', '/apps', { name: 'secret-app' })).status, 201);
  assert.equal((await s.api('POST', '/apps/secret-app/domains', { hostname: 'secret.example.test' })).status, 201);
  const fields = 'method="GET" host="secret.example.test" status="200" bytes="5" connect="0.002" upstream_time="0.010" request_time="0.011" protocol="https" msec="1700000000.123" dyno="web.2" request_id="r1" fwd="10.0.0.1" path="/ok"';
  const before = await fetch(`${s.url}/metrics`).then((r) => r.text());
  const badBefore = Number(/sluice_router_lines_total\{result="bad_secret"\} (\d+)/.exec(before)?.[1] ?? 0);
  await sendUdp(s.routerPort!, [
    `<190>Nov 21 05:53:56 sluice_router: wrong-secret-0123456789 ${fields}`,
    `<190>Nov 21 05:53:56 sluice_router: ${fields}`,
    `<190>Nov 21 05:53:56 sluice_router: ${SECRET.slice(0, -1)} ${fields}`,
    `<190>Nov 21 05:53:56 web-01 sluice_router: ${SECRET} ${fields}`,
  ]);
  const lines = await routerLines('secret-app', 1);
  assert.deepEqual(lines, [
    '2023-11-14T22:13:20.123000+00:00 heroku[router]: at=info method=GET path="/ok" host=secret.example.test request_id=r1 fwd="10.0.0.1" dyno=web.2 connect=2ms service=8ms status=200 bytes=5 protocol=https',
  ]);
  const after = await fetch(`${s.url}/metrics`).then((r) => r.text());
  assert.equal(Number(/sluice_router_lines_total\{result="bad_secret"\} (\d+)/.exec(after)?.[1] ?? 0) - badBefore, 3);
  assert.ok(!after.includes(SECRET) && !s.output().includes(SECRET), 'the secret is in neither metrics nor the server output');
});
