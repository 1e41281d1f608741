// The CLI against wrong URLs, with real servers: it fails fast and says what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { childEnv, runProgram, sluiceMain, startSluice } from './helpers/sluice.js';

/** `sluice ARGS` with SLUICE_URL set as given; the harness kills it after 30 s (a hang fails). */
function cli(url: string, args: string[], env: Record<string, string> = {}) {
  return runProgram(process.execPath, [sluiceMain, ...args], {
    env: childEnv({ SLUICE_URL: url, SLUICE_API_KEY: 'sk_whatever', NO_COLOR: '1', ...env }),
    timeoutMs: 30_000,
  });
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

test('SLUICE_URL at the syslog port: the CLI gives up after SLUICE_TIMEOUT with a clear message', async () => {
  const s = await startSluice();
  try {
    const r = await cli(`http://127.0.0.1:${s.syslogPort}`, ['apps'], { SLUICE_TIMEOUT: '1' });
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /killed after/);
    assert.match(r.stderr, /No HTTP answer from http:\/\/127\.0\.0\.1:\d+ within 1 s\. Is SLUICE_URL Sluice's HTTP port/);
  } finally {
    await s.stop();
  }
});

test('a TCP listener that never answers: `--timeout` bounds every command, logs included', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('error', () => {});
  });
  const port = await listen(silent);
  try {
    for (const args of [['--timeout', '1', 'apps'], ['--timeout', '1', 'logs', '-a', 'x'], ['--timeout', '1', 'drains', '-a', 'x']]) {
      const r = await cli(`http://127.0.0.1:${port}`, args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /No HTTP answer from .* within 1 s/, args.join(' '));
    }
    assert.ok(sockets.size >= 3, 'the CLI did connect each time');
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('a URL without a scheme says so (not "cannot reach", not "invalid URL")', async () => {
  for (const url of ['127.0.0.1:8601', 'localhost:8601', 'sluice.example.com']) {
    const r = await cli(url, ['apps']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SLUICE_URL must start with http:\/\/ or https:\/\//, url);
    assert.doesNotMatch(r.stderr, /Cannot reach|Invalid URL/i, url);
  }
  const login = await runProgram(process.execPath, [sluiceMain, 'login', '--url', '127.0.0.1:8601', '--api-key', 'sk_x'], { env: childEnv(), timeoutMs: 30_000 });
  assert.match(login.stderr, /--url must start with http:\/\/ or https:\/\//);
});

test("another HTTP server's 404: the CLI says the URL is probably not a Sluice server", async () => {
  const other = http.createServer((_req, res) => {
    res.writeHead(404, { 'Content-Type': 'text/html' });
    res.end('<h1>Not Found</h1>');
  });
  const port = await listen(other);
  try {
    const r = await cli(`http://127.0.0.1:${port}`, ['apps']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /does not look like a Sluice server/);
    assert.match(r.stderr, /\/healthz/);
  } finally {
    await new Promise((r) => other.close(r));
  }
  // A real Sluice's own 404 keeps its message.
  const s = await startSluice();
  try {
    const r = await cli(s.url, ['tokens', '-a', 'nosuchapp'], { SLUICE_API_KEY: s.apiKey });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Couldn't find that app/);
    assert.doesNotMatch(r.stderr, /Sluice server/);
  } finally {
    await s.stop();
  }
});

test('apps:create whose answer was a 503 although the app was made: asked again with its Idempotency-Key, it gets that app, not 409', async () => {
  const s = await startSluice();
  const keys: string[] = [];
  let refused = 0;
  // Between the CLI and a real Sluice: the first create is carried out, then answered 503, as a
  // cluster node answers when the engine took the write but did not say so in time.
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/apps') keys.push(String(req.headers['idempotency-key']));
      const headers = { ...req.headers, host: new URL(s.url).host };
      const up = http.request(`${s.url}${req.url}`, { method: req.method, headers }, (upRes) => {
        const body: Buffer[] = [];
        upRes.on('data', (c: Buffer) => body.push(c));
        upRes.on('end', () => {
          if (req.method === 'POST' && req.url === '/apps' && refused++ === 0) {
            res.writeHead(503, { 'Content-Type': 'application/json', 'Request-Id': 'proxy' });
            res.end(JSON.stringify({ id: 'unavailable', message: 'The cluster engine did not answer in time.' }));
            return;
          }
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          res.end(Buffer.concat(body));
        });
      });
      up.end(Buffer.concat(chunks));
    });
  });
  const port = await listen(proxy);
  try {
    const r = await cli(`http://127.0.0.1:${port}`, ['apps:create', 'landed', '--json'], { SLUICE_API_KEY: s.apiKey });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /The cluster engine did not answer in time\. Asking again in 1 s/);
    assert.equal(JSON.parse(r.stdout).name, 'landed');
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1], 'the same key on both attempts');
    assert.match(keys[0], /^[0-9a-f-]{36}$/);
    const tokens = await s.api('GET', '/apps/landed/log-tokens');
    assert.deepEqual((tokens.body as Array<{ name: string }>).map((t) => t.name), ['app']);
    // A second, separate apps:create of the same name is a new request: the name is taken.
    const again = await cli(s.url, ['apps:create', 'landed'], { SLUICE_API_KEY: s.apiKey });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already taken/);
  } finally {
    await new Promise((r) => proxy.close(r));
    await s.stop();
  }
});
