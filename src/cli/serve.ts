// `sluice serve`: runs one node; flags fall back to SLUICE_* environment variables (SPEC §2).
import { Command, Option } from 'commander';
import { startServer } from '../server.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../telemetry/logger.js';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
};

export function serveCommand(): Command {
  return new Command('serve')
    .description('run a Sluice node (embedded SQLite store by default; with --nats-url, one node of a cluster)')
    .addOption(new Option('--host <address>', 'address to listen on').env('SLUICE_HOST').default('0.0.0.0'))
    .addOption(new Option('--http-port <port>', 'API, POST /logs, sessions, /healthz, /metrics; 0 picks a free port').env('SLUICE_HTTP_PORT').default(8601).argParser(int('--http-port')))
    .addOption(new Option('--syslog-port <port>', 'syslog input, TCP and UDP').env('SLUICE_SYSLOG_PORT').default(6001).argParser(int('--syslog-port')))
    .addOption(new Option('--syslog-tls-port <port>', 'syslog over TLS input (needs --tls-cert and --tls-key)').env('SLUICE_SYSLOG_TLS_PORT').argParser(int('--syslog-tls-port')))
    .addOption(new Option('--router-port <port>', 'UDP port for router (nginx access_log syslog:) lines; off by default, needs --router-secret').env('SLUICE_ROUTER_PORT').argParser(int('--router-port')))
    .addOption(new Option('--router-secret <secret>', 'shared secret that starts every router line (16+ characters: letters, digits, - _ . ~)').env('SLUICE_ROUTER_SECRET'))
    .addOption(new Option('--tls-cert <file>', 'PEM certificate for syslog TLS input').env('SLUICE_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key for syslog TLS input').env('SLUICE_TLS_KEY'))
    .addOption(new Option('--data-dir <dir>', 'SQLite database and on-disk buffers').env('SLUICE_DATA_DIR').default('./.sluice'))
    .addOption(new Option('--nats-url <urls>', 'run as one node of a cluster on these NATS JetStream servers (nats://[user:pass@]host:port, comma-separated; tls:// for TLS)').env('SLUICE_NATS_URL'))
    .addOption(new Option('--nats-creds <file>', 'NATS credentials file (JWT and nkey seed) for --nats-url').env('SLUICE_NATS_CREDS'))
    .addOption(new Option('--nats-ca <file>', 'PEM CA file for the NATS servers\' TLS certificates').env('SLUICE_NATS_CA'))
    .addOption(new Option('--ack <when>', 'cluster mode: when POST /logs answers 204 — on receipt, or once its lines are replicated').env('SLUICE_ACK').choices(['receipt', 'replicated']).default('receipt'))
    .addOption(new Option('--public-url <url>', 'base of URLs handed out (default http://127.0.0.1:<http-port>)').env('SLUICE_PUBLIC_URL'))
    .addOption(new Option('--max-body-bytes <n>', 'largest POST /logs body').env('SLUICE_MAX_BODY_BYTES').default(5 * 1024 * 1024).argParser(int('--max-body-bytes')))
    .addOption(new Option('--addon-timeout-ms <ms>', 'per-attempt timeout of calls to add-on partners').env('SLUICE_ADDON_TIMEOUT_MS').default(25_000).argParser(int('--addon-timeout-ms')))
    .addOption(new Option('--addon-provisioning-timeout-ms <ms>', 'how long an add-on may stay provisioning (the partner answered 202) before it is failed and removed; Heroku: 12 hours').env('SLUICE_ADDON_PROVISIONING_TIMEOUT_MS').default(12 * 3_600_000).argParser(int('--addon-provisioning-timeout-ms')))
    .addOption(new Option('--deny-private-drains [bool]', 'refuse drains to loopback and private addresses (set this in production)').env('SLUICE_DENY_PRIVATE_DRAINS').argParser((v: string) => !/^(false|0|no|off)$/i.test(v)))
    .addOption(new Option('--max-drains-per-app <n>', 'most drains one app may have').env('SLUICE_MAX_DRAINS_PER_APP').default(10).argParser(int('--max-drains-per-app')))
    .addOption(new Option('--drain-buffer <n>', 'messages buffered per drain; when full the oldest is dropped and counted (L10)').env('SLUICE_DRAIN_BUFFER').default(1024).argParser(int('--drain-buffer')))
    .addOption(new Option('--drain-dns-servers <list>', 'DNS servers (ip or ip:port, comma-separated) for drain and partner host names; default the system resolver configuration').env('SLUICE_DRAIN_DNS_SERVERS'))
    .addOption(new Option('--drain-ca-file <file>', 'PEM CA certificates trusted for TLS drains, besides the system ones').env('SLUICE_DRAIN_CA_FILE'))
    .addOption(new Option('--max-message-bytes <n>', 'largest single log message').env('SLUICE_MAX_MESSAGE_BYTES').default(10240).argParser(int('--max-message-bytes')))
    .addOption(new Option('--rate-limit <lines>', 'per-app input limit in lines/s (0 = unlimited)').env('SLUICE_RATE_LIMIT').default(0).argParser(int('--rate-limit')))
    .addOption(new Option('--log-level <level>', 'the server log (JSON lines on stdout)').env('SLUICE_LOG_LEVEL').choices(LOG_LEVELS as string[]).default('info'))
    .addHelpText(
      'after',
      `
Environment:
  SLUICE_API_KEY   the admin API key; when unset one is generated on first start and printed once
  Every flag also reads SLUICE_<FLAG> (e.g. --http-port ⇔ SLUICE_HTTP_PORT).

When ready it prints one machine-readable line:
  sluice listening http=<port> syslog=<port> [syslog-tls=<port>] [router=<port>]`,
    )
    .action(async (o: Record<string, string | number | undefined>) => {
      if (o.natsUrl !== undefined && !String(o.natsUrl).split(',').every((u) => /^(nats|tls):\/\/[^,\s]+$/.test(u.trim()))) {
        process.stderr.write('sluice: --nats-url must be nats:// or tls:// URLs, comma-separated.\n');
        process.exit(2);
      }
      if (o.syslogTlsPort !== undefined && (!o.tlsCert || !o.tlsKey)) {
        process.stderr.write('sluice: --syslog-tls-port needs --tls-cert and --tls-key.\n');
        process.exit(2);
      }
      if (o.routerPort !== undefined && !o.routerSecret) {
        process.stderr.write('sluice: --router-port needs --router-secret (or SLUICE_ROUTER_SECRET).\n');
        process.exit(2);
      }
      if (o.routerSecret !== undefined && !/^[A-Za-z0-9._~-]{16,}$/.test(String(o.routerSecret))) {
        // Said without the value: it is a secret.
        process.stderr.write('sluice: --router-secret must be at least 16 characters of letters, digits, - _ . ~ (it goes into an nginx log_format).\n');
        process.exit(2);
      }
      const logger = createLogger({ level: o.logLevel as LogLevel });
      const server = await startServer({
        logger,
        host: String(o.host),
        httpPort: Number(o.httpPort),
        syslogPort: Number(o.syslogPort),
        syslogTlsPort: o.syslogTlsPort === undefined ? undefined : Number(o.syslogTlsPort),
        tlsCert: o.tlsCert as string | undefined,
        tlsKey: o.tlsKey as string | undefined,
        dataDir: String(o.dataDir),
        natsUrl: (o.natsUrl as string | undefined) || undefined,
        natsCreds: o.natsCreds as string | undefined,
        natsCa: o.natsCa as string | undefined,
        ack: o.ack === 'replicated' ? 'replicated' : 'receipt',
        publicUrl: o.publicUrl as string | undefined,
        apiKey: process.env.SLUICE_API_KEY || undefined,
        maxBodyBytes: Number(o.maxBodyBytes),
        maxMessageBytes: Number(o.maxMessageBytes),
        // --rate-limit was parsed but never reached the server.
        rateLimit: Number(o.rateLimit),
        denyPrivateDrains: String(o.denyPrivateDrains) === 'true',
        maxDrainsPerApp: Number(o.maxDrainsPerApp),
        drainBuffer: Math.max(1, Number(o.drainBuffer)),
        drainCaFile: o.drainCaFile as string | undefined,
        drainDnsServers: o.drainDnsServers ? String(o.drainDnsServers).split(',').map((x) => x.trim()).filter(Boolean) : undefined,
        addonTimeoutMs: Number(o.addonTimeoutMs),
        addonProvisioningTimeoutMs: Number(o.addonProvisioningTimeoutMs),
        routerPort: o.routerPort === undefined ? undefined : Number(o.routerPort),
        routerSecret: o.routerSecret as string | undefined,
      });
      if (server.generatedApiKey) {
        process.stderr.write(
          `sluice: generated the admin API key (shown once, only its hash is stored):\n  ${server.generatedApiKey}\n` +
            `  use it with: export SLUICE_API_KEY=${server.generatedApiKey}\n`,
        );
      }
      const tls = server.syslogTlsPort === undefined ? '' : ` syslog-tls=${server.syslogTlsPort}`;
      const routerLog = server.routerPort === undefined ? '' : ` router=${server.routerPort}`;
      process.stdout.write(`sluice listening http=${server.httpPort} syslog=${server.syslogPort}${tls}${routerLog}\n`);

      let signals = 0;
      const shutdown = (): void => {
        if (signals++ > 0) process.exit(1); // a second signal: stop waiting
        server.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            process.stderr.write(`sluice: error while stopping: ${String(err)}\n`);
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
    });
}
