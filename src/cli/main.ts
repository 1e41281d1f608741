#!/usr/bin/env node
// The `sluice` command: `serve` runs a node; every other command talks to one over the API.
import { Command } from 'commander';
import { VERSION } from '../core/version.js';
import { addonCommands } from './addons.js';
import { adminCommands } from './admin.js';
import { appCommands } from './apps.js';
import { CliError } from './client.js';
import { drainCommands } from './drains.js';
import { logsCommand } from './logs.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { shipCommand } from './ship.js';

const program = new Command('sluice')
  .description('Sluice, a log router: history, live tails and drains for every app')
  .version(VERSION)
  // `sluice run -a APP node app.js --port 5000`: options after the command belong to the command.
  .enablePositionalOptions()
  .option('--timeout <seconds>', 'give up on a request to the server after this long (default 10; env SLUICE_TIMEOUT)')
  .hook('preAction', (cmd) => {
    const t = cmd.opts<{ timeout?: string }>().timeout;
    if (t !== undefined) process.env.SLUICE_TIMEOUT = t;
  })
  .addHelpText('after', '\nThe API commands read SLUICE_URL and SLUICE_API_KEY, or the file written by `sluice login`;\nSLUICE_TIMEOUT (seconds, default 10) bounds each request.');

program.addCommand(serveCommand());
for (const c of appCommands()) program.addCommand(c);
program.addCommand(logsCommand());
for (const c of addonCommands()) program.addCommand(c);
for (const c of drainCommands()) program.addCommand(c);
program.addCommand(runCommand());
for (const c of adminCommands()) program.addCommand(c);
program.addCommand(shipCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CliError) process.stderr.write(` ▸    ${err.message}\n`);
  else process.stderr.write(`sluice: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
