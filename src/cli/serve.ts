// `sluice serve`: runs one node; flags fall back to SLUICE_* environment variables (SPEC §2).
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULT_LIMITS, startServer } from '../server.js';
import { createLogger, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../telemetry/logger.js';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got "${v}"`);
  return n;
};

/** `--metrics-auth`: the token itself, or `@file` holding it (so it stays out of `ps` and the unit file). */
function metricsToken(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  const token = v.startsWith('@') ? readFileSync(v.slice(1), 'utf8').trim() : v;
  if (token.length < 16) {
    process.stderr.write('sluice: --metrics-auth needs a token of at least 16 characters.\n');
    process.exit(2);
  }
  return token;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run a Sluice node (embedded SQLite store by default; with --nats-url, one node of a cluster)')
    .addOption(new Option('--host <address>', 'address to listen on').env('SLUICE_HOST').default('0.0.0.0'))
    .addOption(new Option('--http-port <port>', 'API, POST /logs, sessions, /healthz, /metrics; 0 picks a free port').env('SLUICE_HTTP_PORT').default(8601).argParser(int('--http-port')))
    .addOption(new Option('--syslog-port <port>', 'syslog input, TCP and UDP').env('SLUICE_SYSLOG_PORT').default(6001).argParser(int('--syslog-port')))
    .addOption(new Option('--syslog-tls-port <port>', 'syslog over TLS input (needs --tls-cert and --tls-key)').env('SLUICE_SYSLOG_TLS_PORT').argParser(int('--syslog-tls-port')))
    .addOption(new Option('--router-port <port>', 'UDP port for router (nginx access_log syslog:) lines; off by default, needs --router-secret').env('SLUICE_ROUTER_PORT').argParser(int('--router-port')))
    .addOption(new Option('--router-secret <secret>', 'shared secret that starts every router line (16+ characters: letters, digits, - _ . ~); prefer SLUICE_ROUTER_SECRET or --router-secret-file: a flag is readable by every user in /proc/<pid>/cmdline').env('SLUICE_ROUTER_SECRET'))
    .addOption(new Option('--router-secret-file <file>', 'read the router secret from this file (surrounding whitespace ignored)').env('SLUICE_ROUTER_SECRET_FILE'))
    .addOption(new Option('--tls-cert <file>', 'PEM certificate for syslog TLS input').env('SLUICE_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key for syslog TLS input').env('SLUICE_TLS_KEY'))
    .addOption(new Option('--data-dir <dir>', 'SQLite database and on-disk buffers').env('SLUICE_DATA_DIR').default('./.sluice'))
    .addOption(new Option('--nats-url <urls>', 'run as one node of a cluster on these NATS JetStream servers (nats://[user:pass@]host:port, comma-separated; tls:// for TLS)').env('SLUICE_NATS_URL'))
    .addOption(new Option('--nats-creds <file>', 'NATS credentials file (JWT and nkey seed) for --nats-url').env('SLUICE_NATS_CREDS'))
    .addOption(new Option('--nats-ca <file>', 'PEM CA file for the NATS servers\' TLS certificates').env('SLUICE_NATS_CA'))
    .addOption(new Option('--engine-spool-bytes <n>', 'cluster mode: bytes of input a node keeps on its disk while the engine does not take it (history and drain lines together); past it lines are dropped and counted (L10)').env('SLUICE_ENGINE_SPOOL_BYTES').default(1024 ** 3).argParser(int('--engine-spool-bytes')))
    .addOption(new Option('--drain-stream-max-bytes <n>', 'cluster mode: bytes the replicated drain stream keeps for drains that do not take their lines (all drains together); past it the oldest are discarded and counted as the drains\' dropped lines (L10)').env('SLUICE_DRAIN_STREAM_MAX_BYTES').default(4 * 1024 ** 3).argParser(int('--drain-stream-max-bytes')))
    .addOption(new Option('--drain-stream-max-age-ms <ms>', 'cluster mode: how long the drain stream keeps lines a drain has not taken').env('SLUICE_DRAIN_STREAM_MAX_AGE_MS').default(24 * 3_600_000).argParser(int('--drain-stream-max-age-ms')))
    .addOption(new Option('--ack <when>', 'when POST /logs answers 204: receipt (routed; history reaches the disk within ~50 ms), durable (embedded: in the SQLite write-ahead log), replicated (cluster: in the replicated stream)').env('SLUICE_ACK').choices(['receipt', 'durable', 'replicated']).default('receipt'))
    .addOption(new Option('--public-url <url>', 'base of URLs handed out (default http://127.0.0.1:<http-port>)').env('SLUICE_PUBLIC_URL'))
    .addOption(new Option('--max-body-bytes <n>', 'largest POST /logs body').env('SLUICE_MAX_BODY_BYTES').default(5 * 1024 * 1024).argParser(int('--max-body-bytes')))
    .addOption(new Option('--addon-timeout-ms <ms>', 'per-attempt timeout of calls to add-on partners').env('SLUICE_ADDON_TIMEOUT_MS').default(25_000).argParser(int('--addon-timeout-ms')))
    .addOption(new Option('--addon-provisioning-timeout-ms <ms>', 'how long an add-on may stay provisioning (the partner answered 202) before it is failed and removed; Heroku: 12 hours').env('SLUICE_ADDON_PROVISIONING_TIMEOUT_MS').default(12 * 3_600_000).argParser(int('--addon-provisioning-timeout-ms')))
    .addOption(new Option('--deny-private-drains [bool]', 'refuse drains to loopback and private addresses (set this in production)').env('SLUICE_DENY_PRIVATE_DRAINS').argParser((v: string) => !/^(false|0|no|off)$/i.test(v)))
    .addOption(new Option('--max-drains-per-app <n>', 'most drains one app may have').env('SLUICE_MAX_DRAINS_PER_APP').default(10).argParser(int('--max-drains-per-app')))
    .addOption(new Option('--drain-memory-bytes <n>', 'bytes of encoded lines a drain holds in memory before spilling to its spool').env('SLUICE_DRAIN_MEMORY_BYTES').default(1 << 20).argParser(int('--drain-memory-bytes')))
    .addOption(new Option('--drain-spool-bytes <n>', "bytes of a drain's spool on disk; past it the oldest lines are dropped and counted (L10)").env('SLUICE_DRAIN_SPOOL_BYTES').default(256 << 20).argParser(int('--drain-spool-bytes')))
    .addOption(new Option('--spool-max-bytes <n>', 'bytes of all drain spools together (never more than 90% of the disk)').env('SLUICE_SPOOL_MAX_BYTES').default(4 * 1024 ** 3).argParser(int('--spool-max-bytes')))
    .addOption(new Option('--spool-sync-ms <ms>', 'how often queued lines are written to the spool: what a kill -9 can lose').env('SLUICE_SPOOL_SYNC_MS').default(100).argParser(int('--spool-sync-ms')))
    .addOption(new Option('--drain-buffer <n>', 'deprecated: sets --drain-memory-bytes to n × 1024 (1024 lines ⇔ 1 MiB)').env('SLUICE_DRAIN_BUFFER').argParser(int('--drain-buffer')))
    .addOption(new Option('--drain-dns-servers <list>', 'DNS servers (ip or ip:port, comma-separated) for drain and partner host names; default the system resolver configuration').env('SLUICE_DRAIN_DNS_SERVERS'))
    .addOption(new Option('--drain-ca-file <file>', 'PEM CA certificates trusted for TLS drains, besides the system ones').env('SLUICE_DRAIN_CA_FILE'))
    .addOption(new Option('--max-message-bytes <n>', 'largest single log message').env('SLUICE_MAX_MESSAGE_BYTES').default(10240).argParser(int('--max-message-bytes')))
    .addOption(new Option('--rate-limit <lines>', 'per-app input limit in lines/s (0 = unlimited)').env('SLUICE_RATE_LIMIT').default(0).argParser(int('--rate-limit')))
    .addOption(new Option('--syslog-idle-timeout-ms <ms>', 'close a syslog TCP/TLS connection that sent nothing for this long').env('SLUICE_SYSLOG_IDLE_TIMEOUT_MS').default(DEFAULT_LIMITS.syslogIdleTimeoutMs).argParser(int('--syslog-idle-timeout-ms')))
    .addOption(new Option('--syslog-max-connections <n>', 'open syslog connections per listener (TCP, TLS); at the limit the longest-idle one is closed for a new one').env('SLUICE_SYSLOG_MAX_CONNECTIONS').default(DEFAULT_LIMITS.syslogMaxConnections).argParser(int('--syslog-max-connections')))
    .addOption(new Option('--syslog-max-connections-per-address <n>', 'open syslog connections from one address; at the limit its longest-idle one is closed').env('SLUICE_SYSLOG_MAX_CONNECTIONS_PER_ADDRESS').default(DEFAULT_LIMITS.syslogMaxConnectionsPerAddress).argParser(int('--syslog-max-connections-per-address')))
    .addOption(new Option('--http-max-connections <n>', 'open HTTP connections; at the limit the longest-idle one not answering a request is closed').env('SLUICE_HTTP_MAX_CONNECTIONS').default(DEFAULT_LIMITS.httpMaxConnections).argParser(int('--http-max-connections')))
    .addOption(new Option('--http-max-connections-per-address <n>', 'open HTTP connections from one address (raise it behind a proxy: all clients then share its address)').env('SLUICE_HTTP_MAX_CONNECTIONS_PER_ADDRESS').default(DEFAULT_LIMITS.httpMaxConnectionsPerAddress).argParser(int('--http-max-connections-per-address')))
    .addOption(new Option('--http-headers-timeout-ms <ms>', 'time a client has to send request headers').env('SLUICE_HTTP_HEADERS_TIMEOUT_MS').default(DEFAULT_LIMITS.httpHeadersTimeoutMs).argParser(int('--http-headers-timeout-ms')))
    .addOption(new Option('--http-request-timeout-ms <ms>', 'time a client has to send a whole request, body included').env('SLUICE_HTTP_REQUEST_TIMEOUT_MS').default(DEFAULT_LIMITS.httpRequestTimeoutMs).argParser(int('--http-request-timeout-ms')))
    .addOption(new Option('--frame-id-memory-bytes <n>', 'memory for Logplex-Frame-Id de-duplication (each token gets a sixteenth)').env('SLUICE_FRAME_ID_MEMORY_BYTES').default(DEFAULT_LIMITS.frameIdMemoryBytes).argParser(int('--frame-id-memory-bytes')))
    .addOption(new Option('--metrics-auth <token|@file>', 'require this bearer token for GET /metrics (@path reads it from a file); open by default').env('SLUICE_METRICS_AUTH'))
    .addOption(new Option('--log-level <level>', 'the server log on stdout: which events are written').env('SLUICE_LOG_LEVEL').choices(LOG_LEVELS as string[]).default('info'))
    .addOption(new Option('--log-format <format>', 'the server log: JSON lines, pretty for a person, or auto (pretty on a terminal)').env('SLUICE_LOG_FORMAT').choices(LOG_FORMATS as string[]).default('auto'))
    .addHelpText(
      'after',
      `
Environment:
  SLUICE_API_KEY   the admin API key; when unset one is generated on first start and printed once
  Every flag also reads SLUICE_<FLAG> (e.g. --http-port ⇔ SLUICE_HTTP_PORT).

When ready it prints one machine-readable line:
  sluice listening http=<port> syslog=<port> [syslog-tls=<port>] [router=<port>]`,
    )
    .action(async (o: Record<string, string | number | undefined>, cmd: Command) => {
      if (o.routerSecretFile !== undefined) {
        if (o.routerSecret !== undefined) {
          process.stderr.write('sluice: give the router secret once: --router-secret-file or --router-secret / SLUICE_ROUTER_SECRET, not both.\n');
          process.exit(2);
        }
        try {
          o.routerSecret = readFileSync(String(o.routerSecretFile), 'utf8').trim();
        } catch (err) {
          process.stderr.write(`sluice: cannot read --router-secret-file: ${(err as Error).message}\n`);
          process.exit(2);
        }
      }
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
      const logger = createLogger({ level: o.logLevel as LogLevel, format: o.logFormat as LogFormat });
      if (o.routerSecret !== undefined && cmd.getOptionValueSource('routerSecret') === 'cli') {
        logger.warn(
          { event: 'secret_on_command_line', flag: '--router-secret' },
          'the router secret was given as --router-secret: every user of this machine can read it in /proc/<pid>/cmdline; use SLUICE_ROUTER_SECRET or --router-secret-file instead',
        );
      }
      // A bug that escapes every handler is logged (redacted) before the process ends.
      const die = (where: string) => (err: unknown): void => {
        const e = err instanceof Error ? err : new Error(String(err));
        logger.fatal({ event: 'unexpected_error', where, error: e.message, stack: e.stack }, `unexpected error (${where}): ${e.message}`);
        process.exit(1);
      };
      process.on('uncaughtException', die('uncaughtException'));
      process.on('unhandledRejection', die('unhandledRejection'));
      let drainMemoryBytes = Math.max(1024, Number(o.drainMemoryBytes));
      if (o.drainBuffer !== undefined) {
        // Logplex's 1,024-line buffer was ~1 KiB a line; the byte budget replaces it.
        drainMemoryBytes = Math.max(1, Number(o.drainBuffer)) * 1024;
        logger.warn({ drain_buffer: Number(o.drainBuffer), drain_memory_bytes: drainMemoryBytes }, '--drain-buffer is deprecated: it sets --drain-memory-bytes to n × 1024');
      }
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
        engineSpoolBytes: Number(o.engineSpoolBytes),
        drainStream: { maxBytes: Number(o.drainStreamMaxBytes), maxAgeMs: Number(o.drainStreamMaxAgeMs) },
        ack: o.ack as 'receipt' | 'durable' | 'replicated',
        publicUrl: o.publicUrl as string | undefined,
        apiKey: process.env.SLUICE_API_KEY || undefined,
        maxBodyBytes: Number(o.maxBodyBytes),
        maxMessageBytes: Number(o.maxMessageBytes),
        // --rate-limit was parsed but never reached the server.
        rateLimit: Number(o.rateLimit),
        denyPrivateDrains: String(o.denyPrivateDrains) === 'true',
        maxDrainsPerApp: Number(o.maxDrainsPerApp),
        drainQueue: {
          memoryBytes: drainMemoryBytes,
          spoolBytes: Number(o.drainSpoolBytes),
          spoolMaxBytes: Number(o.spoolMaxBytes),
          syncMs: Math.max(1, Number(o.spoolSyncMs)),
        },
        drainCaFile: o.drainCaFile as string | undefined,
        drainDnsServers: o.drainDnsServers ? String(o.drainDnsServers).split(',').map((x) => x.trim()).filter(Boolean) : undefined,
        addonTimeoutMs: Number(o.addonTimeoutMs),
        addonProvisioningTimeoutMs: Number(o.addonProvisioningTimeoutMs),
        routerPort: o.routerPort === undefined ? undefined : Number(o.routerPort),
        routerSecret: o.routerSecret as string | undefined,
        limits: {
          syslogIdleTimeoutMs: Number(o.syslogIdleTimeoutMs),
          syslogMaxConnections: Math.max(1, Number(o.syslogMaxConnections)),
          syslogMaxConnectionsPerAddress: Math.max(1, Number(o.syslogMaxConnectionsPerAddress)),
          httpMaxConnections: Math.max(1, Number(o.httpMaxConnections)),
          httpMaxConnectionsPerAddress: Math.max(1, Number(o.httpMaxConnectionsPerAddress)),
          httpHeadersTimeoutMs: Number(o.httpHeadersTimeoutMs),
          httpRequestTimeoutMs: Number(o.httpRequestTimeoutMs),
          frameIdMemoryBytes: Number(o.frameIdMemoryBytes),
        },
        metricsToken: metricsToken(o.metricsAuth as string | undefined),
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
      const consoleUrl = consoleAddress(String(o.host), server.httpPort, o.publicUrl as string | undefined);
      process.stdout.write(`sluice: console at ${consoleUrl}\n`);

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

/**
 * Where a person on this machine opens the console: the public URL when one is set, else the
 * listening address (a wildcard host is reached through loopback).
 */
export function consoleAddress(host: string, port: number, publicUrl?: string): string {
  if (publicUrl) return `${publicUrl.replace(/\/+$/, '')}/console`;
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}/console`;
}
