import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADDON_NAME, addonName } from './names.js';

test('names look like service-adjective-12345 and avoid taken ones', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = addonName('log-search', (x) => seen.has(x));
    assert.match(n, /^log-search-[a-z]+-\d{5}$/);
    assert.match(n, ADDON_NAME);
    assert.ok(!seen.has(n));
    seen.add(n);
  }
});

test('a namespace with no free name fails loudly instead of looping', () => {
  assert.throws(() => addonName('x', () => true), /no free add-on name/);
});
