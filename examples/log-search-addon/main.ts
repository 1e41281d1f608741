#!/usr/bin/env node
// The example add-on: a log search service built on the Sluice partner kit (SPEC §6.6).
//
//   LOG_SEARCH_PASSWORD=… node dist/examples/log-search-addon/main.js --port 0 --db ./search.db \
//     --manifest-out manifest.json
//   sluice addons:services:add manifest.json && sluice addons:create log-search -a myapp
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Command, Option } from 'commander';
import { createAddonServer } from './app.js';
import { AddonStore } from './store.js';

const program = new Command('log-search-addon')
  .description('Example Sluice add-on: receives an app\'s logs through a drain and lets you search them')
  .addOption(new Option('--host <address>', 'address to listen on').env('LOG_SEARCH_HOST').default('127.0.0.1'))
  .addOption(new Option('--port <port>', 'port; 0 picks a free one').env('LOG_SEARCH_PORT').default('5800'))
  .addOption(new Option('--public-url <url>', 'how Sluice and browsers reach this server (default http://127.0.0.1:<port>)').env('LOG_SEARCH_PUBLIC_URL'))
  .addOption(new Option('--db <file>', 'SQLite database file').env('LOG_SEARCH_DB').default('./log-search.db'))
  .addOption(new Option('--id <slug>', 'the manifest id (Basic user of provisioning calls)').env('LOG_SEARCH_ADDON_ID').default('log-search'))
  .addOption(new Option('--password <secret>', 'the manifest api.password (prefer the environment variable)').env('LOG_SEARCH_PASSWORD'))
  .addOption(new Option('--manifest-out <file>', 'write the manifest for this server (mode 0600) once listening'))
  .addHelpText('after', '\nWhen ready it prints one line: log-search listening http=<port>');

program.parse();
const o = program.opts<{ host: string; port: string; publicUrl?: string; db: string; id: string; password?: string; manifestOut?: string }>();
if (!o.password || o.password.length < 8) {
  process.stderr.write('log-search: set LOG_SEARCH_PASSWORD (at least 8 characters): Sluice authenticates with it.\n');
  process.exit(2);
}
const port = Number(o.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`log-search: --port must be 0–65535, got "${o.port}"\n`);
  process.exit(2);
}

const store = new AddonStore(o.db);
let publicUrl = o.publicUrl?.replace(/\/+$/, '') ?? '';
const server = createAddonServer(store, {
  id: o.id,
  password: o.password,
  publicUrl: () => publicUrl,
  log: (line) => process.stderr.write(`log-search: ${line}\n`),
});

server.listen(port, o.host, () => {
  const actual = (server.address() as AddressInfo).port;
  publicUrl ||= `http://127.0.0.1:${actual}`;
  if (o.manifestOut) {
    const manifest = {
      id: o.id,
      name: 'Log Search',
      plans: [{ name: 'basic' }, { name: 'pro' }],
      api: {
        config_vars_prefix: 'LOG_SEARCH',
        config_vars: ['LOG_SEARCH_URL'],
        password: o.password,
        requires: ['syslog_drain', 'log_input'],
        production: { base_url: `${publicUrl}/heroku/resources` },
        version: '3',
      },
    };
    writeFileSync(o.manifestOut, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  }
  process.stdout.write(`log-search listening http=${actual}\n`);
});

const stop = (): void => {
  server.close(() => {
    store.close();
    process.exit(0);
  });
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
