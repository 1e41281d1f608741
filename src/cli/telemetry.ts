// `sluice telemetry`, `telemetry:add`, `telemetry:update`, `telemetry:remove`: an app's telemetry drains (OTLP out) with their health.
import { Command } from 'commander';
import { ApiClient, CliError, enc } from './client.js';
import { loadConfig } from './config.js';
import { healthLine } from './drains.js';

interface TelemetryDrain {
  id: string;
  owner: { id: string; name: string | null };
  signals: string[];
  exporter: { type: 'otlphttp' | 'otlp'; endpoint: string; headers: Record<string, string> };
  health?: (Parameters<typeof healthLine>[0] & { queued_requests?: number; dropped_requests?: number }) | null;
}

/** The drain's health line; a drain that passes traces or metrics through also shows its requests. */
function telemetryHealth(d: TelemetryDrain): string | undefined {
  const h = d.health;
  if (!h) return undefined;
  const passes = d.signals.some((s) => s !== 'logs');
  return passes ? `${healthLine(h)} · traces/metrics requests queued ${h.queued_requests ?? 0}, dropped ${h.dropped_requests ?? 0}` : healthLine(h);
}

const client = (): ApiClient => new ApiClient(loadConfig());
const print = (s: string): void => void process.stdout.write(`${s}\n`);
const SIGNALS = ['logs', 'traces', 'metrics'];

function signalsOf(v: string): string[] {
  if (v === 'all') return SIGNALS;
  const list = v.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = list.find((x) => !SIGNALS.includes(x));
  if (bad || list.length === 0) throw new CliError(`--signals: use a comma-separated list of logs, traces, metrics (or all); got "${v}".`);
  return list;
}

function headersOf(v: string): Record<string, string> {
  try {
    const h = JSON.parse(v) as unknown;
    if (typeof h === 'object' && h !== null && !Array.isArray(h) && Object.values(h).every((x) => typeof x === 'string')) return h as Record<string, string>;
  } catch {
    /* reported below */
  }
  throw new CliError(`--headers: give a JSON object of strings, e.g. '{"x-api-key":"…"}'.`);
}

function typeOf(transport: string): 'otlphttp' | 'otlp' {
  if (transport === 'http') return 'otlphttp';
  if (transport === 'grpc') return 'otlp';
  throw new CliError(`--transport: use http or grpc; got "${transport}".`);
}

/** The drain as `telemetry:info` shows it; header values are hidden unless asked for (they are credentials). */
function describe(d: TelemetryDrain, showHeaders: boolean): string[] {
  const names = Object.keys(d.exporter.headers);
  const headers = showHeaders ? JSON.stringify(d.exporter.headers) : names.length ? `${names.join(', ')} (values hidden; --show-headers)` : 'none';
  const out = [
    `=== ${d.id}`,
    '',
    `App:       ${d.owner.name ?? d.owner.id}`,
    `Signals:   ${d.signals.join(', ')}`,
    `Endpoint:  ${d.exporter.endpoint}`,
    `Transport: ${d.exporter.type === 'otlp' ? 'gRPC' : 'HTTP'}`,
    `Headers:   ${headers}`,
  ];
  const health = telemetryHealth(d);
  if (health) out.push(`Health:  ${health}`);
  return out;
}

export function telemetryCommands(): Command[] {
  return [
    new Command('telemetry')
      .description("list an app's telemetry drains (OpenTelemetry out) with their delivery health")
      .requiredOption('-a, --app <app>', 'app name or id')
      .option('--json', 'print JSON (as the API returns it)')
      .action(async (o: { app: string; json?: boolean }) => {
        const drains = await client().request<TelemetryDrain[]>('GET', `/apps/${enc(o.app)}/telemetry-drains`);
        if (o.json) return print(JSON.stringify(drains, null, 2));
        if (drains.length === 0) return print(`${o.app} has no telemetry drains. Add one with \`sluice telemetry:add ENDPOINT -a ${o.app}\`.`);
        print(`=== ${o.app} Telemetry Drains\n`);
        for (const d of drains) {
          print(`${d.id}  ${d.exporter.type === 'otlp' ? 'gRPC' : 'HTTP'}  ${d.signals.join(',')}  ${d.exporter.endpoint}`);
          const health = telemetryHealth(d);
          if (health) print(health);
        }
      }),

    new Command('telemetry:add')
      .description('add a telemetry drain: every line of the app as OTLP LogRecords (and traces/metrics passed through)')
      .argument('<endpoint>', 'OTLP base URL, e.g. https://api.honeycomb.io (logs go to ENDPOINT/v1/logs)')
      .requiredOption('-a, --app <app>', 'app name or id')
      .option('--signals <list>', 'logs, traces, metrics, comma-separated, or all', 'all')
      .option('--transport <t>', 'http (OTLP/HTTP protobuf) or grpc', 'http')
      .option('--headers <json>', 'headers sent with every export, as a JSON object', '{}')
      .action(async (endpoint: string, o: { app: string; signals: string; transport: string; headers: string }) => {
        const c = client();
        const app = await c.request<{ id: string }>('GET', `/apps/${enc(o.app)}`);
        const body = { exporter: { type: typeOf(o.transport), endpoint, headers: headersOf(o.headers) }, owner: { id: app.id, type: 'app' }, signals: signalsOf(o.signals) };
        const d = await c.request<TelemetryDrain>('POST', '/telemetry-drains', body);
        print(`Added telemetry drain ${d.id} → ${d.exporter.endpoint} (${d.signals.join(', ')})`);
      }),

    new Command('telemetry:info')
      .description('show a telemetry drain with its health')
      .argument('<id>', 'the telemetry drain id')
      .option('--show-headers', 'print header values (credentials)')
      .option('--json', 'print JSON')
      .action(async (id: string, o: { showHeaders?: boolean; json?: boolean }) => {
        const d = await client().request<TelemetryDrain>('GET', `/telemetry-drains/${enc(id)}`);
        if (o.json) return print(JSON.stringify(d, null, 2));
        for (const l of describe(d, o.showHeaders === true)) print(l);
      }),

    new Command('telemetry:update')
      .description('change a telemetry drain: what is given replaces what was')
      .argument('<id>', 'the telemetry drain id')
      .option('--signals <list>', 'logs, traces, metrics, comma-separated, or all')
      .option('--transport <t>', 'http or grpc')
      .option('--endpoint <url>', 'new OTLP base URL')
      .option('--headers <json>', 'new headers, as a JSON object')
      .action(async (id: string, o: { signals?: string; transport?: string; endpoint?: string; headers?: string }) => {
        const exporter = {
          ...(o.transport ? { type: typeOf(o.transport) } : {}),
          ...(o.endpoint ? { endpoint: o.endpoint } : {}),
          ...(o.headers ? { headers: headersOf(o.headers) } : {}),
        };
        if (!o.signals && Object.keys(exporter).length === 0) throw new CliError('Give at least one of --signals, --transport, --endpoint, --headers.');
        const body = { ...(o.signals ? { signals: signalsOf(o.signals) } : {}), ...(Object.keys(exporter).length ? { exporter } : {}) };
        const d = await client().request<TelemetryDrain>('PATCH', `/telemetry-drains/${enc(id)}`, body);
        for (const l of describe(d, false)) print(l);
      }),

    new Command('telemetry:remove')
      .description('remove a telemetry drain (or, with -a and no id, all of an app\'s)')
      .argument('[id]', 'the telemetry drain id')
      .option('-a, --app <app>', 'remove every telemetry drain of this app')
      .action(async (id: string | undefined, o: { app?: string }) => {
        const c = client();
        if (!id && !o.app) throw new CliError('Give a telemetry drain id, or -a APP to remove all of its telemetry drains.');
        const ids = id ? [id] : (await c.request<TelemetryDrain[]>('GET', `/apps/${enc(o.app!)}/telemetry-drains`)).map((d) => d.id);
        for (const x of ids) {
          const d = await c.request<TelemetryDrain>('DELETE', `/telemetry-drains/${enc(x)}`);
          print(`Removed telemetry drain ${d.id} (${d.exporter.endpoint})`);
        }
      }),
  ];
}
