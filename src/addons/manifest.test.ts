import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBaseUrl, checkManifest, defaultPrefix, isLoopbackHost } from './manifest.js';

const base = {
  id: 'fast-db',
  api: { password: 'sufficiently-secret', production: { base_url: 'https://fast.example.com/heroku/resources' } },
};

test('a minimal manifest gets its defaults', () => {
  const r = checkManifest(base);
  assert.ok(r.ok);
  assert.deepEqual(r.manifest.api.requires, []);
  assert.deepEqual(r.manifest.api.config_vars, []);
  assert.equal(r.manifest.api.version, '3');
});

test('the config var prefix defaults to the normalised id', () => {
  assert.equal(defaultPrefix('fast-db'), 'FAST_DB');
  assert.ok(checkManifest({ ...base, api: { ...base.api, config_vars: ['FAST_DB_URL'] } }).ok);
  const r = checkManifest({ ...base, api: { ...base.api, config_vars: ['FASTDB_URL'] } });
  assert.deepEqual(r, { ok: false, reason: 'api.config_vars: "FASTDB_URL" must begin with the prefix FAST_DB_' });
  assert.ok(checkManifest({ ...base, api: { ...base.api, config_vars_prefix: 'FASTDB', config_vars: ['FASTDB_URL'] } }).ok);
});

test('production mode: https everywhere, plain http only to loopback', () => {
  assert.equal(checkBaseUrl('https://a.example.com/x'), undefined);
  assert.equal(checkBaseUrl('http://127.0.0.1:4567/x'), undefined);
  assert.equal(checkBaseUrl('http://[::1]:4567/x'), undefined);
  assert.equal(checkBaseUrl('http://localhost/x'), undefined);
  assert.match(checkBaseUrl('http://10.0.0.1/x')!, /only for loopback hosts/);
  assert.match(checkBaseUrl('ftp://a.example.com/x')!, /must be https/);
  assert.match(checkBaseUrl('https://a.example.com/x?k=1')!, /query/);
  assert.ok(isLoopbackHost('127.8.9.10'));
  assert.ok(!isLoopbackHost('127.example.com'));
});

test('not an object at all', () => {
  const r = checkManifest('nope');
  assert.equal(r.ok, false);
  const r2 = checkManifest({ id: 'x1' });
  assert.equal(r2.ok, false);
  assert.match((r2 as { reason: string }).reason, /^api: api must be an object|api must be an object/);
});
