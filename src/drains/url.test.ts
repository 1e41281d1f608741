import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drainKindOf, validateDrainUrl } from './url.js';

const ok = { denyPrivate: false, resolve: false };

test('accepts the five kinds with their options', async () => {
  for (const [url, kind] of [
    ['syslog://logs.example.com:601', 'syslog'],
    ['syslog+tls://logs.example.com:6514#insecure', 'syslog+tls'],
    ['syslog+udp://logs.example.com', 'syslog+udp'],
    ['http://logs.example.com/x', 'http'],
    ['https://user:pass@logs.example.com/logs?x=1', 'https'],
  ] as const) {
    const r = await validateDrainUrl(url, ok);
    assert.deepEqual(r, { ok: true, url, kind }, url);
    assert.equal(drainKindOf(url), kind);
  }
});

test('refuses with a reason', async () => {
  const reasons = async (url: string, denyPrivate = false) => {
    const r = await validateDrainUrl(url, { denyPrivate, resolve: false });
    assert.equal(r.ok, false, url);
    return (r as { reason: string }).reason;
  };
  assert.match(await reasons('ftp://x.example.com'), /unsupported scheme "ftp"/);
  assert.match(await reasons('not a url'), /not a URL/);
  assert.match(await reasons('syslog://user:pw@x.example.com'), /user or password/);
  assert.match(await reasons('https://169.254.169.254/latest'), /link-local/);
  assert.match(await reasons('syslog://[fe80::1]:601'), /link-local/);
  assert.match(await reasons('https://127.0.0.1:9/x', true), /private/);
  assert.match(await reasons('syslog://10.1.2.3', true), /private/);
  assert.match(await reasons('syslog://x.example.com#insecure'), /#insecure only applies/);
});

test('private addresses are allowed unless denied', async () => {
  assert.equal((await validateDrainUrl('https://127.0.0.1:9/x', ok)).ok, true);
});
