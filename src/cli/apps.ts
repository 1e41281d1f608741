// `sluice apps`, `apps:create`, `apps:destroy`, `tokens`, `tokens:create`, `login`.
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { ApiClient, checkUrl, CliError, enc } from './client.js';
import { loadConfig, saveConfig } from './config.js';

interface App {
  id: string;
  name: string;
  created_at: string;
}
interface Token {
  id: string;
  name: string;
  token: string;
  created_at: string;
}

const client = (): ApiClient => new ApiClient(loadConfig());
const print = (s: string): void => void process.stdout.write(`${s}\n`);
const json = (v: unknown): void => print(JSON.stringify(v, null, 2));
const appOption = (c: Command): Command => c.requiredOption('-a, --app <app>', 'app name or id');

export function appCommands(): Command[] {
  return [
    new Command('apps')
      .description('list apps')
      .option('--json', 'print JSON')
      .action(async (o: { json?: boolean }) => {
        const apps = await client().request<App[]>('GET', '/apps');
        if (o.json) return json(apps);
        if (apps.length === 0) return print('No apps yet: create one with `sluice apps:create NAME`.');
        print('=== Apps\n');
        for (const a of apps) print(a.name);
      }),

    new Command('apps:create')
      .description('create an app (it gets an `app` log token)')
      .argument('[name]', 'lowercase letters, digits and dashes; generated when omitted')
      .option('--json', 'print JSON')
      .action(async (name: string | undefined, o: { json?: boolean }) => {
        // Asked again while the outcome is unknown; the key makes the server answer a repeat with
        // the app the first attempt made instead of "already taken".
        const key = { 'Idempotency-Key': randomUUID() };
        const app = await client().retrying<App>('POST', '/apps', name ? { name } : {}, key, (line) => process.stderr.write(`${line}\n`));
        if (o.json) return json(app);
        print(`Created ${app.name}`);
      }),

    new Command('apps:destroy')
      .description('destroy an app with its tokens, drains, add-ons and history')
      .argument('<name>', 'app to destroy')
      .option('--confirm <name>', 'repeat the app name to confirm')
      .action(async (name: string, o: { confirm?: string }) => {
        if (o.confirm !== name) {
          throw new CliError(`This destroys ${name} and its history. Re-run with --confirm ${name} to proceed.`);
        }
        await client().request('DELETE', `/apps/${enc(name)}`);
        print(`Destroyed ${name}`);
      }),

    appOption(new Command('tokens'))
      .description("list an app's log tokens (the credentials that write into its log)")
      .option('--json', 'print JSON')
      .action(async (o: { app: string; json?: boolean }) => {
        const tokens = await client().request<Token[]>('GET', `/apps/${enc(o.app)}/log-tokens`);
        if (o.json) return json(tokens);
        print(`=== ${o.app} Log Tokens\n`);
        const width = Math.max(4, ...tokens.map((t) => t.name.length));
        for (const t of tokens) print(`${t.name.padEnd(width)}  ${t.token}`);
      }),

    appOption(new Command('tokens:create'))
      .description('create a log token; lines sent with it get NAME as their source')
      .argument('<name>', 'source name, e.g. app, heroku, postgres')
      .option('--json', 'print JSON')
      .action(async (name: string, o: { app: string; json?: boolean }) => {
        const t = await client().request<Token>('POST', `/apps/${enc(o.app)}/log-tokens`, { name });
        if (o.json) return json(t);
        print(`Created log token ${t.name} for ${o.app}: ${t.token}`);
      }),

    new Command('login')
      .description('store the server URL and API key for later commands (file mode 0600)')
      .requiredOption('--url <url>', 'Sluice base URL, e.g. http://127.0.0.1:8601')
      .requiredOption('--api-key <key>', 'an API key (or set SLUICE_API_KEY and pass it here)')
      .action(async (o: { url: string; apiKey: string }) => {
        const cfg = { url: checkUrl(o.url.replace(/\/+$/, ''), '--url'), apiKey: o.apiKey };
        await new ApiClient(cfg).request('GET', '/apps'); // prove the key works before storing it
        print(`Logged in to ${cfg.url}; saved to ${saveConfig(cfg)}`);
      }),
  ];
}
