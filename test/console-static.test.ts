// The console's static route: what it serves, with which headers, and that no URL escapes web/.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CONSOLE_CSP, DEFAULT_WEB_DIR } from '../src/api/console.js';
import { startServer, type RunningServer } from '../src/server.js';

let server: RunningServer;
let dir: string;

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with the path sent exactly as written (fetch would normalise `..` away). */
function raw(path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.httpPort, method, path, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timed out: ${method} ${path}`)));
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-console-'));
  server = await startServer({
    host: '127.0.0.1',
    httpPort: 0,
    syslogPort: 0,
    dataDir: dir,
    apiKey: 'console-test-key',
    maxBodyBytes: 1 << 20,
    maxMessageBytes: 10240,

  });
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function assertSecurityHeaders(r: Raw, what: string): void {
  assert.equal(r.headers['content-security-policy'], CONSOLE_CSP, what);
  assert.match(String(r.headers['content-security-policy']), /(^|; )default-src 'self'(;|$)/);
  assert.match(String(r.headers['content-security-policy']), /(^|; )connect-src 'self'(;|$)/);
  assert.doesNotMatch(String(r.headers['content-security-policy']), /unsafe-inline|unsafe-eval/);
  assert.equal(r.headers['x-content-type-options'], 'nosniff', what);
  assert.equal(r.headers['referrer-policy'], 'no-referrer', what);
}

describe('serving the console', () => {
  test('GET /console and /console/ answer the page as HTML with the security headers', async () => {
    for (const path of ['/console', '/console/']) {
      const r = await raw(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assertSecurityHeaders(r, path);
      assert.match(r.body, /<title>Sluice console<\/title>/);
    }
  });

  test('the page has no inline script, style or event handler (the CSP would block them)', async () => {
    const { body } = await raw('/console');
    assert.doesNotMatch(body, /<script(?![^>]*\bsrc=)[^>]*>/i, 'every <script> has a src');
    assert.doesNotMatch(body, /<style/i);
    assert.doesNotMatch(body, /\sstyle=/i);
    assert.doesNotMatch(body, /\son[a-z]+=/i);
  });

  test('assets have their content types, and every module the page imports is served', async () => {
    const types: Record<string, RegExp> = {
      '/console/console.js': /^text\/javascript/,
      '/console/console.css': /^text\/css/,
      '/console/favicon.svg': /^image\/svg\+xml/,
    };
    for (const [path, type] of Object.entries(types)) {
      const r = await raw(path);
      assert.equal(r.status, 200, path);
      assert.match(String(r.headers['content-type']), type, path);
      assertSecurityHeaders(r, path);
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
    }
    // Follow the import graph from the page: a missing file would break the console silently.
    const seen = new Set<string>();
    const queue = ['console.js'];
    while (queue.length > 0) {
      const name = queue.shift() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const r = await raw(`/console/${name}`);
      assert.equal(r.status, 200, `${name} is imported but not served`);
      for (const m of r.body.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'\.\/([^']+)'/gm)) queue.push(m[1]);
    }
    const shipped = readdirSync(DEFAULT_WEB_DIR).filter((f) => f.endsWith('.js'));
    assert.deepEqual([...seen].sort(), shipped.sort(), 'every module in web/ is reachable from console.js');
  });

  test('HEAD answers headers only; a matching If-None-Match answers 304', async () => {
    const head = await raw('/console/console.css', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    const etag = String(head.headers.etag);
    assert.match(etag, /^"[\w-]+"$/);
    const again = await raw('/console/console.css', 'GET', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
  });

  test('GET / redirects to the console', async () => {
    const r = await raw('/');
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, '/console');
  });

  test('unknown names, and files in web/ that are not for the browser, are 404', async () => {
    for (const path of ['/console/nope.js', '/console/tsconfig.json', '/console/console.js/x', '/consolex']) {
      const r = await raw(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8', path);
    }
  });

  test('no path escapes web/: traversal attempts are 404 and never return a file from outside', async () => {
    const attempts = [
      '/console/../package.json',
      '/console/../../package.json',
      '/console/../../../../../../etc/passwd',
      '/console/%2e%2e/package.json',
      '/console/%2E%2E/%2E%2E/package.json',
      '/console/%2e%2e%2fpackage.json',
      '/console/..%2fpackage.json',
      '/console/..%2F..%2Fpackage.json',
      '/console/..%5cpackage.json',
      '/console/%252e%252e/package.json',
      '/console/.%2e/package.json',
      '/console//etc/passwd',
      '/console/%2fetc%2fpasswd',
      '/console/./console.js/../../package.json',
      '/console/console.js%00.html',
      '/console/.hidden',
      '/console/..',
      '/console/%2e%2e',
    ];
    for (const path of attempts) {
      const r = await raw(path);
      assert.equal(r.status, 404, `${path} → ${r.status}`);
      assert.doesNotMatch(r.body, /"dependencies"|root:x:0:0|better-sqlite3/, path);
    }
  });

  test('the API around it is unchanged', async () => {
    const r = await raw('/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-security-policy'], undefined, 'the CSP is for the console only');
    const apps = await raw('/apps', 'GET', { Authorization: 'Bearer console-test-key' });
    assert.equal(apps.status, 200);
  });
});
