// `sluice logs -a APP`: opens a log session and prints its lines, coloured on a terminal.
import { Command, Option } from 'commander';
import { ApiClient, CliError, enc, fetchWithTimeout, timeoutMs } from './client.js';
import { colourise } from './colors.js';
import { loadConfig } from './config.js';

export function logsCommand(): Command {
  return new Command('logs')
    .description("show an app's recent log lines, or stream them with --tail")
    .requiredOption('-a, --app <app>', 'app name or id')
    .addOption(new Option('-n, --num <lines>', 'lines of history (at most 1500)').default(100).argParser(Number))
    .option('-t, --tail', 'keep streaming new lines')
    .option('-s, --source <source>', 'only this source, e.g. app or heroku')
    .option('-d, --dyno <dyno>', 'only this dyno, e.g. web.1 (web matches web.1, web.2, …)')
    .option('-p, --process-type <type>', 'only this process type, e.g. web or worker')
    .option('--no-color', 'never colour the output')
    .action(async (o: { app: string; num: number; tail?: boolean; source?: string; dyno?: string; processType?: string; color: boolean }) => {
      if (!Number.isInteger(o.num) || o.num < 0) throw new CliError('--num must be a whole number');
      const api = new ApiClient(loadConfig());
      const session = await api.request<{ logplex_url: string }>('POST', `/apps/${enc(o.app)}/log-sessions`, {
        lines: o.num,
        tail: Boolean(o.tail),
        source: o.source,
        dyno: o.dyno,
        type: o.processType,
      });
      const res = await fetchWithTimeout(session.logplex_url, { headers: { Accept: 'text/plain' } }, timeoutMs(), api.url);
      if (!res.ok || !res.body) throw new CliError(`Log stream failed: HTTP ${res.status}`);
      const colour = o.color && process.stdout.isTTY === true && !process.env.NO_COLOR;
      const decoder = new TextDecoder();
      let carry = '';
      process.stdout.on('error', () => process.exit(0)); // a closed pipe (| head) is a normal end
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        const text = carry + decoder.decode(chunk, { stream: true });
        const lines = text.split('\n');
        carry = lines.pop() ?? '';
        if (lines.length) process.stdout.write(`${lines.map((l) => (colour ? colourise(l) : l)).join('\n')}\n`);
      }
      if (carry) process.stdout.write(`${colour ? colourise(carry) : carry}\n`);
    });
}
