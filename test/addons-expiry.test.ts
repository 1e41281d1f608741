// Asynchronous provisioning that never finishes (SPEC §6, Heroku: "Add-ons that take longer than
// 12 hours to provision … will be considered failed and removed"), with the timeout shortened.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSluice, type Sluice } from './helpers/sluice.js';
import { basic, callAs, nothingLeft, startFakePartner, type Behaviour, type FakePartner } from './addons-fake-partner.js';
import { sleep } from './drains-support.js';

const PROVISIONING_TIMEOUT_MS = 3_000;
const PASSWORD = 'slow-partner-secret-1';
let s: Sluice;
let p: FakePartner;
/** Provision: 202 with a drain, finished later (or never); deprovision: 204. */
const acceptLater: Behaviour = (req) => (req.method === 'POST' ? { status: 202, body: { id: `prov-${req.body.name}`, log_drain_url: 'https://127.0.0.1:9/slow' } } : { status: 204 });

before(async () => {
  s = await startSluice({ args: ['--addon-provisioning-timeout-ms', String(PROVISIONING_TIMEOUT_MS)] });
  p = await startFakePartner('slow', PASSWORD);
  assert.equal((await s.api('POST', '/addon-services', p.manifest({ plans: ['basic'] }))).status, 201);
  p.behave(acceptLater);
});

after(async () => {
  await p?.close();
  await s?.stop();
});

async function waitForNoAddons(app: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await s.api('GET', `/apps/${app}/addons`)).body.length === 0) return true;
    await sleep(100);
  }
  return false;
}

test('a partner that answers 202 and never finishes: the add-on fails after the timeout; drain, token and add-on go; the partner is told DELETE', { timeout: 30_000 }, async () => {
  await s.createAppWithToken('never-done');
  const t0 = Date.now();
  const r = await s.api('POST', '/apps/never-done/addons', { plan: 'slow:basic' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.state, 'provisioning');
  assert.equal((await s.api('GET', '/apps/never-done/log-drains')).body.length, 1, 'the drain exists while provisioning');
  // Sweeps run every timeout/4: after two of them, and before the timeout, it is still there.
  await sleep(PROVISIONING_TIMEOUT_MS / 2);
  const early = await s.api('GET', `/apps/never-done/addons/${r.body.name}`);
  if (Date.now() - t0 < PROVISIONING_TIMEOUT_MS) assert.equal(early.body.state, 'provisioning', 'not expired before the timeout');
  else console.error('# addons-expiry: this box stalled past the timeout; the "not before the timeout" check was not made');
  assert.ok(await waitForNoAddons('never-done', 10_000), 'the add-on was removed');
  await nothingLeft(s, 'never-done');
  assert.ok(p.seen.some((x) => x.method === 'DELETE' && x.path.endsWith(`/prov-${r.body.name}`)), JSON.stringify(p.seen.map((x) => `${x.method} ${x.path}`)));
  const lines = await s.waitForLogs('never-done', (ls) => ls.some((l) => l.includes(`Add-on ${r.body.name} removed`)));
  assert.ok(
    lines.some((l) => l.includes(`heroku[api]: Add-on ${r.body.name} failed to provision: slow did not finish provisioning within 3 s`)),
    lines.join('\n'),
  );
});

test('an add-on the partner marks provisioned in time stays after the timeout has passed', { timeout: 30_000 }, async () => {
  await s.createAppWithToken('done-in-time');
  const r = await s.api('POST', '/apps/done-in-time/addons', { plan: 'slow:basic' });
  assert.equal(r.body.state, 'provisioning');
  const done = await callAs(s.url, basic('slow', PASSWORD), 'POST', `/addons/${r.body.id}/actions/provision`);
  assert.equal(done.status, 200, JSON.stringify(done.body));
  // Past the timeout and several sweeps (every timeout/4): still there, nothing deleted.
  await sleep(PROVISIONING_TIMEOUT_MS * 2);
  const shown = await s.api('GET', `/apps/done-in-time/addons/${r.body.name}`);
  assert.equal(shown.body.state, 'provisioned');
  assert.equal((await s.api('GET', '/apps/done-in-time/log-drains')).body.length, 1);
  assert.equal(p.seen.some((x) => x.method === 'DELETE' && x.path.endsWith(`/prov-${r.body.name}`)), false);
});

test('a provision call that takes longer than the timeout is not expired while it is under way', { timeout: 30_000 }, async () => {
  await s.createAppWithToken('slow-answer');
  const deletes = (): number => p.seen.filter((x) => x.method === 'DELETE').length;
  const deletesBefore = deletes();
  p.behave((req) =>
    req.method === 'POST' ? { status: 200, body: { id: `prov-${req.body.name}` }, delayMs: PROVISIONING_TIMEOUT_MS * 2 } : { status: 204 },
  );
  try {
    const r = await s.api('POST', '/apps/slow-answer/addons', { plan: 'slow:basic' });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.state, 'provisioned');
    await sleep(PROVISIONING_TIMEOUT_MS); // a few more sweeps
    const shown = await s.api('GET', `/apps/slow-answer/addons/${r.body.name}`);
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.equal(shown.body.state, 'provisioned');
    assert.equal(deletes(), deletesBefore, 'the partner was never told to deprovision');
    const lines = await s.readLogs('slow-answer');
    assert.equal(lines.some((l) => l.includes('failed to provision')), false, lines.join('\n'));
  } finally {
    p.behave(acceptLater);
  }
});
