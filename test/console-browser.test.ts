// The console in Debian's Chromium (playwright-core) at 1280×800 against a real `sluice serve`:
// the whole walkthrough (test/console-walkthrough.ts); screenshots go to test-artifacts/console/.
import { after, test } from 'node:test';
import { CHROMIUM, DESKTOP } from './console-support.js';
import { Leftovers, walkthrough } from './console-walkthrough.js';
import { requireProgram } from './helpers/external.js';

const left = new Leftovers();
after(() => left.close());

test('the console at 1280×800: reading, charts and managing, against a real node', { timeout: 170_000 }, async (t) => {
  if (!requireProgram(t, CHROMIUM) || !requireProgram(t, 'curl')) return;
  await walkthrough(t, DESKTOP, left);
});
