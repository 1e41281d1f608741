// `sluice addons`, `addons:create`, `addons:destroy`, `addons:services`, `addons:services:add`.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ApiClient, CliError, enc } from './client.js';
import { loadConfig } from './config.js';

interface Addon {
  id: string;
  name: string;
  plan: { name: string };
  state: string;
  config_vars: string[];
  provision_message?: string | null;
}
interface Service {
  id: string;
  human_name: string;
  plans: { name: string }[];
  requires: string[];
}

const client = (): ApiClient => new ApiClient(loadConfig());
const print = (s: string): void => void process.stdout.write(`${s}\n`);
const json = (v: unknown): void => print(JSON.stringify(v, null, 2));
const appOption = (c: Command): Command => c.requiredOption('-a, --app <app>', 'app name or id');

export function addonCommands(): Command[] {
  return [
    appOption(new Command('addons'))
      .description("list an app's add-ons")
      .option('--json', 'print JSON')
      .action(async (o: { app: string; json?: boolean }) => {
        const addons = await client().request<Addon[]>('GET', `/apps/${enc(o.app)}/addons`);
        if (o.json) return json(addons);
        if (addons.length === 0) return print(`No add-ons for app ${o.app}.`);
        print(`=== ${o.app} Add-ons\n`);
        const width = Math.max(...addons.map((a) => a.name.length));
        for (const a of addons) print(`${a.name.padEnd(width)}  ${a.plan.name}  ${a.state}`);
      }),

    appOption(new Command('addons:create'))
      .description('attach an add-on to an app: the partner is called to provision it')
      .argument('<service>', 'SERVICE or SERVICE:PLAN, e.g. log-search:basic')
      .option('--name <name>', 'name of the add-on (generated when omitted)')
      .option('--json', 'print JSON')
      .action(async (service: string, o: { app: string; name?: string; json?: boolean }) => {
        process.stderr.write(`Creating ${service} on ${o.app}... `);
        let a: Addon;
        try {
          a = await client().request<Addon>('POST', `/apps/${enc(o.app)}/addons`, { plan: service, ...(o.name ? { name: o.name } : {}) });
        } catch (err) {
          process.stderr.write('failed\n');
          throw err;
        }
        process.stderr.write(a.state === 'provisioned' ? 'done\n' : `${a.state}\n`);
        if (o.json) return json(a);
        print(`Created ${a.name} (${a.plan.name})${a.state === 'provisioning' ? '; the provider is still setting it up' : ''}`);
        if (a.config_vars.length > 0) print(`Config vars: ${a.config_vars.join(', ')}`);
        if (a.provision_message) print(a.provision_message);
      }),

    appOption(new Command('addons:destroy'))
      .description('remove an add-on (the partner is told; its drain goes with it)')
      .argument('<addon>', 'add-on name or id')
      .option('--force', 'remove it even if the partner cannot be reached')
      .action(async (addon: string, o: { app: string; force?: boolean }) => {
        const a = await client().request<Addon>('DELETE', `/apps/${enc(o.app)}/addons/${enc(addon)}${o.force ? '?force=true' : ''}`);
        print(`Destroyed ${a.name} (${a.plan.name}) on ${o.app}`);
      }),

    new Command('addons:services')
      .description('list the add-on services partners have registered')
      .option('--json', 'print JSON')
      .action(async (o: { json?: boolean }) => {
        const services = await client().request<Service[]>('GET', '/addon-services');
        if (o.json) return json(services);
        if (services.length === 0) return print('No add-on services yet: register one with `sluice addons:services:add manifest.json`.');
        print('=== Add-on Services\n');
        const width = Math.max(...services.map((s) => s.id.length));
        for (const s of services) {
          const plans = s.plans.length ? s.plans.map((p) => p.name).join(', ') : '(any plan)';
          print(`${s.id.padEnd(width)}  ${s.human_name} — ${plans}`);
        }
      }),

    new Command('addons:services:add')
      .description("register a partner's add-on manifest (admin)")
      .argument('<manifest>', 'path of the manifest JSON file')
      .option('--json', 'print JSON')
      .action(async (file: string, o: { json?: boolean }) => {
        let manifest: unknown;
        try {
          manifest = JSON.parse(readFileSync(file, 'utf8'));
        } catch (err) {
          throw new CliError(`Cannot read ${file}: ${(err as Error).message}`);
        }
        const s = await client().request<Service>('POST', '/addon-services', manifest);
        if (o.json) return json(s);
        print(`Registered add-on service ${s.id} (${s.human_name})`);
      }),
  ];
}
