// The real Heroku CLI's apps and addons commands against sluice, with the example add-on provisioned
// through them; commands for things sluice has no notion of get a clear message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startSluice, type Sluice } from './helpers/sluice.js';
import { requireHeroku, runHeroku } from './helpers/heroku-cli.js';
import { startExampleAddon, type ExampleAddon } from './addons-example-process.js';

let s: Sluice;
let ex: ExampleAddon;
before(async () => {
  s = await startSluice();
  ex = await startExampleAddon('cli-apps-secret');
  const reg = await s.api('POST', '/addon-services', JSON.parse(readFileSync(ex.manifestPath, 'utf8')));
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
});
after(async () => {
  await s.stop();
  await ex.stop();
});

const h = (args: string[]) => runHeroku(args, { url: s.url, apiKey: s.apiKey }, { timeoutMs: 60_000 });

test('apps:create, apps, apps:info, addons:create/addons/addons:info/addons:destroy, apps:destroy --confirm', { timeout: 900_000 }, async (t) => {
  if (!(await requireHeroku(t))) return;
  const app = 'cliapps';
  const none = await h(['apps']);
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, 'You have no apps.\n');

  const create = await h(['apps:create', app, '--no-remote']);
  assert.equal(create.code, 0, create.stderr);
  assert.match(create.stderr, new RegExp(`Creating ${app}\\.\\.\\. done`));
  assert.equal((await s.api('GET', `/apps/${app}`)).status, 200);

  const list = await h(['apps']);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, `=== admin@sluice.invalid Apps\n\n${app}\n`);
  const json = await h(['apps', '--json']);
  assert.deepEqual((JSON.parse(json.stdout) as Array<{ name: string }>).map((a) => a.name), [app]);

  const addon = await h(['addons:create', 'log-search:basic', '-a', app]);
  assert.equal(addon.code, 0, addon.stderr);
  const [made] = (await s.api('GET', `/apps/${app}/addons`)).body as Array<{ name: string; state: string }>;
  assert.equal(made.state, 'provisioned');
  assert.match(addon.stderr, new RegExp(`Creating log-search:basic on ${app}\\.\\.\\. free`));
  assert.match(addon.stdout, new RegExp(`Created ${made.name} as LOG_SEARCH_URL`));
  // The add-on's drain exists, as provisioning always made it.
  assert.equal(((await s.api('GET', `/apps/${app}/log-drains`)).body as unknown[]).length, 1);

  const info = await h(['apps:info', '-a', app]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, new RegExp(`^=== ${app}\n`));
  assert.match(info.stdout, new RegExp(`Addons:\\s+log-search:basic`));
  assert.match(info.stdout, /Owner:\s+admin@sluice\.invalid/);
  assert.match(info.stdout, /Region:\s+us/);
  assert.match(info.stdout, /Repo Size:\s+0 B/);
  assert.match(info.stdout, /Stack:\s+sluice/);

  const addons = await h(['addons', '-a', app]);
  assert.equal(addons.code, 0, addons.stderr);
  assert.match(addons.stdout, new RegExp(`log-search \\(${made.name}\\)\\s+basic\\s+free\\s+free\\s+created`));
  assert.match(addons.stdout, new RegExp(`as LOG_SEARCH`));
  const all = await h(['addons', '--all']);
  assert.match(all.stdout, new RegExp(`${app}\\s+${made.name}\\s+log-search:basic\\s+free\\s+free\\s+created`));

  const ainfo = await h(['addons:info', made.name, '-a', app]);
  assert.equal(ainfo.code, 0, ainfo.stderr);
  assert.match(ainfo.stdout, new RegExp(`^=== ${made.name}\n`));
  assert.match(ainfo.stdout, /Plan:\s+log-search:basic/);
  assert.match(ainfo.stdout, new RegExp(`Attachments:\\s+${app}::LOG_SEARCH`));
  assert.match(ainfo.stdout, new RegExp(`Owning app:\\s+${app}`));
  assert.match(ainfo.stdout, /State:\s+created/);

  const destroyAddon = await h(['addons:destroy', made.name, '-a', app, '--confirm', app]);
  assert.equal(destroyAddon.code, 0, destroyAddon.stderr);
  assert.match(destroyAddon.stderr, new RegExp(`Destroying ${made.name} on ${app}\\.\\.\\. done`));
  assert.deepEqual((await s.api('GET', `/apps/${app}/addons`)).body, []);
  assert.deepEqual((await s.api('GET', `/apps/${app}/log-drains`)).body, []);
  assert.match(ex.output(), /deprovisioned|removed|DELETE/i);

  // Things sluice has no notion of: the CLI prints the message, no crash.
  const ps = await h(['ps', '-a', app]);
  assert.notEqual(ps.code, 0);
  assert.match(ps.stderr, /Sluice runs no dynos/);
  assert.doesNotMatch(ps.stderr, /TypeError/);
  const releases = await h(['releases', '-a', app]);
  assert.notEqual(releases.code, 0);
  assert.match(releases.stderr, /Sluice makes no releases/);

  const rename = await h(['apps:rename', `${app}2`, '-a', app]);
  assert.notEqual(rename.code, 0);
  assert.match(rename.stderr, /Sluice apps cannot be renamed/);
  assert.equal((await s.api('GET', `/apps/${app}`)).status, 200);

  const destroy = await h(['apps:destroy', app, '--confirm', app]);
  assert.equal(destroy.code, 0, destroy.stderr);
  assert.match(destroy.stderr, new RegExp(`Destroying ${app} \\(including all add-ons\\)\\.\\.\\. done`));
  assert.equal((await s.api('GET', `/apps/${app}`)).status, 404);
  const after = await h(['apps']);
  assert.equal(after.stdout, 'You have no apps.\n');
});
