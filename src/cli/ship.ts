// `… | sluice ship`: ships stdin line by line into an app's log (source `app`); and the options,
// token lookup and loss reporting that `sluice run` shares with it.
import { Command, Option } from 'commander';
import { LineSplitter } from '../shipper/line-splitter.js';
import { defaultStateDir, lossFilePath, saveLosses, takeLosses } from '../shipper/loss-file.js';
import { parseTarget, type ShipTarget } from '../shipper/sender.js';
import { microTime } from '../shipper/encoder.js';
import { Shipper, type ShipperEvent } from '../shipper/shipper.js';
import { ApiClient, CliError, enc } from './client.js';
import { loadConfig } from './config.js';

export interface ShipFlags {
  app?: string;
  dyno: string;
  token?: string;
  url?: string;
  buffer: number;
  batch: number;
  attempts: number;
  timeout: number;
  flushTimeout: number;
  stateDir?: string;
  echo: boolean;
}

const positive = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} must be a whole number above 0, got "${v}"`);
  return n;
};

/** The flags `run` and `ship` share. */
export function withShipOptions(cmd: Command, defaultDyno: string): Command {
  return cmd
    .option('-a, --app <app>', "app to ship into: its log token named `app` is fetched with SLUICE_API_KEY (not needed with --token)")
    .addOption(new Option('-d, --dyno <name>', 'dyno name (PROCID) of every line, e.g. web.1 or worker.3').env('DYNO').default(defaultDyno))
    .addOption(new Option('--token <t.…>', 'log token to write with; decides app and source (preferred for long-running processes)').env('SLUICE_LOG_TOKEN'))
    .addOption(new Option('--url <url>', 'Sluice base URL, or a log input URL https://token:t.…@host/logs (default SLUICE_URL)'))
    .addOption(new Option('--buffer <lines>', 'lines held while Sluice is slow or away; beyond, the oldest are dropped (L12)').default(10_000).argParser(positive('--buffer')))
    .addOption(new Option('--batch <lines>', 'most lines per request').default(500).argParser(positive('--batch')))
    .addOption(new Option('--attempts <n>', 'tries per batch before its lines count as lost (L13)').default(5).argParser(positive('--attempts')))
    .addOption(new Option('--timeout <ms>', 'per-request timeout').default(5_000).argParser(positive('--timeout')))
    .addOption(new Option('--flush-timeout <ms>', 'how long to keep delivering at exit').default(10_000).argParser(positive('--flush-timeout')))
    .addOption(new Option('--state-dir <dir>', 'where losses that could not be reported wait for the next run').env('SLUICE_STATE_DIR'))
    .option('--no-echo', 'do not copy the lines to this process’s own stdout/stderr');
}

/** The target: --token/SLUICE_LOG_TOKEN, or the URL's userinfo, or the app's `app` token via the API. */
export async function resolveTarget(f: ShipFlags): Promise<ShipTarget> {
  const cfg = loadConfig();
  const url = f.url ?? cfg.url;
  const hasUrlToken = (() => {
    try {
      return new URL(url).password !== '';
    } catch {
      return false;
    }
  })();
  let token = f.token;
  if (!token && !hasUrlToken) {
    if (!f.app) throw new CliError('No log token: give --token t.… (or SLUICE_LOG_TOKEN), or --app APP with SLUICE_API_KEY.');
    const api = new ApiClient({ url: new URL(url).origin, apiKey: cfg.apiKey });
    const tokens = await api.request<Array<{ name: string; token: string }>>('GET', `/apps/${enc(f.app)}/log-tokens`);
    token = tokens.find((t) => t.name === 'app')?.token;
    if (!token) throw new CliError(`App ${f.app} has no log token named "app": create one with \`sluice tokens:create app -a ${f.app}\`.`);
  }
  try {
    return parseTarget(url, token);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** A shipper wired to print its losses on stderr and to take over losses of an earlier run. */
export function startShipper(f: ShipFlags, target: ShipTarget, who: string): { shipper: Shipper; finish: () => Promise<void> } {
  const lossFile = lossFilePath(f.stateDir ?? defaultStateDir(), target, f.dyno);
  const say = (s: string): boolean => process.stderr.write(`${who}: ${s}\n`);
  const onEvent = (e: ShipperEvent): void => {
    if (e.kind === 'lost') say(`could not deliver ${e.lines} lines (${e.reason}); ${e.unreported} lost since ${microTime(e.since)}, reported as L13 when Sluice answers`);
    else if (e.kind === 'overflow') say(`buffer full (${e.bufferLines} lines): dropping the oldest lines, reported as L12`);
  };
  let shipper: Shipper;
  try {
    shipper = new Shipper({
      target,
      dyno: f.dyno,
      bufferLines: f.buffer,
      batchLines: f.batch,
      attempts: f.attempts,
      timeoutMs: f.timeout,
      carryOver: takeLosses(lossFile),
      onEvent,
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const finish = async (): Promise<void> => {
    const left = await shipper.close(f.flushTimeout);
    try {
      if (saveLosses(lossFile, left)) say(`${left.lost} lost and ${left.dropped} dropped lines are not reported yet; the next run as ${f.dyno} will report them`);
    } catch (err) {
      say(`could not keep the unreported losses: ${(err as Error).message}`);
    }
  };
  return { shipper, finish };
}

export function shipCommand(): Command {
  return withShipOptions(new Command('ship'), 'ship.1')
    .description('ship stdin line by line into an app’s log (source app), e.g. `myserver | sluice ship -a myapp -d web.1`')
    .action(async (f: ShipFlags) => {
      const target = await resolveTarget(f);
      const { shipper, finish } = startShipper(f, target, 'sluice ship');
      const splitter = new LineSplitter();
      let done = false;
      const end = async (): Promise<void> => {
        if (done) return;
        done = true;
        process.stdin.pause();
        for (const l of splitter.end()) shipper.write(l);
        await finish();
        process.exit(0);
      };
      process.stdin.on('data', (chunk: Buffer) => {
        if (f.echo) process.stdout.write(chunk);
        for (const l of splitter.push(chunk)) shipper.write(l);
      });
      process.stdin.on('end', () => void end());
      process.stdin.on('error', () => void end());
      // Stop reading and deliver what is held; the writer of the pipe gets the signal itself.
      process.on('SIGTERM', () => void end());
      process.on('SIGINT', () => void end());
      process.stdout.on('error', () => {
        /* nobody reads our copy: shipping goes on */
      });
    });
}
