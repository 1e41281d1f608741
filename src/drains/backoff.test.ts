import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, certFailure, describeError, parseRetryAfter } from './backoff.js';

test('backoff grows exponentially, is capped and jittered within [½, 1]', () => {
  assert.equal(backoffDelay(1, 100, 10_000, () => 0), 50);
  assert.equal(backoffDelay(1, 100, 10_000, () => 1), 100);
  assert.equal(backoffDelay(4, 100, 10_000, () => 1), 800);
  assert.equal(backoffDelay(30, 100, 10_000, () => 1), 10_000);
  assert.equal(backoffDelay(30, 100, 10_000, () => 0), 5_000);
});

test('Retry-After as seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter(undefined), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const now = Date.parse('2024-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:05 GMT', now), 5000);
});

test('certificate errors are recognised, through undici-style causes too', () => {
  assert.equal(certFailure(Object.assign(new Error('x'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' })), 'hostname mismatch');
  assert.equal(certFailure({ cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } }), 'self signed cert in chain');
  assert.equal(certFailure(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), undefined);
});

test('error descriptions never carry URL userinfo', () => {
  const d = describeError(new Error('failed to reach https://user:s3cret@example.com/logs'));
  assert.ok(!d.includes('s3cret'), d);
});
