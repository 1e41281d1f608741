// The console in Debian's Chromium (playwright-core) at a phone's 390×844 against a real
// `sluice serve`: the same walkthrough as at 1280×800 (test/console-walkthrough.ts), every view
// checked for `scrollWidth <= 390`; screenshots go to test-artifacts/console/phone-*.png.
import { after, test } from 'node:test';
import { CHROMIUM, PHONE } from './console-support.js';
import { Leftovers, walkthrough } from './console-walkthrough.js';
import { requireProgram } from './helpers/external.js';

const left = new Leftovers();
after(() => left.close());

test('the console at 390×844: everything the desktop does, nothing scrolls sideways', { timeout: 170_000 }, async (t) => {
  if (!requireProgram(t, CHROMIUM) || !requireProgram(t, 'curl')) return;
  await walkthrough(t, PHONE, left);
});
