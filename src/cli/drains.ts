// `sluice drains`, `drains:add`, `drains:remove`, `drains:test`: the Heroku CLI's drain commands, plus health.
import { Command, Option } from 'commander';
import { ApiClient, enc } from './client.js';
import { loadConfig } from './config.js';

interface Drain {
  id: string;
  token: string;
  url: string;
  addon: { id: string; name: string } | null;
  health?: Health | null;
}
interface Health {
  state: string;
  last_success_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  delivered: number;
  dropped: number;
  queued: number;
  spool_lines?: number;
  spool_share?: number;
  oldest_queued_age_ms?: number | null;
  corrupt?: number;
}
interface TestResult {
  ok: boolean;
  kind: string;
  connected: boolean;
  tls: { verified: boolean; insecure: boolean } | null;
  status: number | null;
  error: string | null;
  duration_ms: number;
}

const client = (): ApiClient => new ApiClient(loadConfig());
const print = (s: string): void => void process.stdout.write(`${s}\n`);
const appOption = (c: Command): Command => c.requiredOption('-a, --app <app>', 'app name or id');

/** One indented line under a drain: its state and counters. */
export function healthLine(h: Health): string {
  const spool = h.spool_lines ? ` (${h.spool_lines} in the spool, ${Math.round((h.spool_share ?? 0) * 1000) / 10}% of its budget)` : '';
  const parts = [h.state, `delivered ${h.delivered}`, `dropped ${h.dropped}${h.corrupt ? ` (${h.corrupt} unreadable in the spool)` : ''}`, `queued ${h.queued}${spool}`];
  if (h.oldest_queued_age_ms) parts.push(`oldest queued ${Math.round(h.oldest_queued_age_ms / 1000)} s ago`);
  parts.push(h.last_success_at ? `last success ${h.last_success_at}` : 'no success yet');
  if (h.last_error && h.state !== 'delivering') parts.push(`last error ${h.last_error_at ?? ''}: ${h.last_error}`);
  return `  ${parts.join(' · ')}`;
}

export function drainCommands(): Command[] {
  return [
    appOption(new Command('drains'))
      .description("list an app's log drains with their delivery health")
      .option('--json', 'print JSON (as the API returns it)')
      .action(async (o: { app: string; json?: boolean }) => {
        const c = client();
        const drains = await c.request<Drain[]>('GET', `/apps/${enc(o.app)}/log-drains`);
        if (o.json) return print(JSON.stringify(drains, null, 2));
        const own = drains.filter((d) => !d.addon);
        const addon = drains.filter((d) => d.addon);
        if (drains.length === 0) return print(`${o.app} has no drains. Add one with \`sluice drains:add URL -a ${o.app}\`.`);
        const healths = await Promise.all(
          drains.map((d) => c.request<Drain>('GET', `/apps/${enc(o.app)}/log-drains/${enc(d.id)}`).then((x) => x.health ?? null, () => null)),
        );
        const healthOf = new Map(drains.map((d, i) => [d.id, healths[i]]));
        if (own.length) {
          print('=== Drains\n');
          for (const d of own) {
            print(`${d.url} (${d.token})`);
            const h = healthOf.get(d.id);
            if (h) print(healthLine(h));
          }
        }
        if (addon.length) {
          if (own.length) print('');
          print('=== Add-on Drains\n');
          for (const d of addon) {
            print(`${d.addon!.name} (${d.token})`);
            const h = healthOf.get(d.id);
            if (h) print(healthLine(h));
          }
        }
      }),

    appOption(new Command('drains:add'))
      .description('add a log drain: syslog://, syslog+tls://[#insecure], syslog+udp://, http:// or https://[user:pass@]')
      .argument('<url>', 'where to send every line of the app')
      .addOption(new Option('--format <format>', "HTTP drains: 'rfc5424' for strict RFC 5424 frames (nil STRUCTURED-DATA); default Heroku's").choices(['heroku', 'rfc5424']))
      .option('--json', 'print JSON')
      .action(async (url: string, o: { app: string; json?: boolean; format?: string }) => {
        const d = await client().request<Drain>('POST', `/apps/${enc(o.app)}/log-drains`, { url, ...(o.format ? { format: o.format } : {}) });
        if (o.json) return print(JSON.stringify(d, null, 2));
        print(`Successfully added drain ${d.url}`);
      }),

    appOption(new Command('drains:remove'))
      .description('remove a log drain')
      .argument('<drain>', 'the drain URL, token (d.…) or id')
      .action(async (key: string, o: { app: string }) => {
        const d = await client().request<Drain>('DELETE', `/apps/${enc(o.app)}/log-drains/${enc(key)}`);
        print(`Successfully removed drain ${d.url}`);
      }),

    appOption(new Command('drains:test'))
      .description('send one test line to a drain now and show what happened')
      .argument('<drain>', 'the drain URL, token (d.…) or id')
      .option('--json', 'print JSON')
      .action(async (key: string, o: { app: string; json?: boolean }) => {
        const r = await client().request<TestResult>('POST', `/apps/${enc(o.app)}/log-drains/${enc(key)}/actions/test`);
        if (o.json) return print(JSON.stringify(r, null, 2));
        const tls = r.tls ? (r.tls.insecure ? ' · TLS not verified (#insecure)' : r.tls.verified ? ' · TLS verified' : ' · TLS failed') : '';
        const status = r.status !== null ? ` · HTTP ${r.status}` : '';
        print(`${r.ok ? 'Delivered' : 'Failed'}: ${r.connected ? 'connected' : 'not connected'}${tls}${status} · ${r.duration_ms} ms`);
        if (r.error) print(`  ${r.error}`);
        if (!r.ok) process.exitCode = 1;
      }),
  ];
}
