// Syslog over TCP and TLS (SPEC §3.2): one framer per connection, bounded and idle-timed.
import net from 'node:net';
import tls from 'node:tls';
import type { Router } from '../router/router.js';
import type { IngestEvents, Transport } from '../telemetry/catalogue.js';
import { StreamFramer } from '../wire/octet-stream.js';
import { parseSyslog } from '../wire/syslog.js';

export interface SyslogStreamOptions {
  maxMessageBytes: number;
  /** A connection that sends nothing for this long is closed (slow or dead peers hold no socket forever). */
  idleTimeoutMs: number;
  maxConnections: number;
}

/** Wires a connected socket to the router; shared by the TCP and TLS listeners. */
function attach(socket: net.Socket, transport: Transport, router: Router, events: IngestEvents, opts: SyslogStreamOptions): void {
  const framer = new StreamFramer(
    {
      frame(bytes) {
        const parsed = parseSyslog(bytes.toString('utf8'), new Date());
        if (!parsed.ok) {
          events.rejected(transport, 'malformed');
          return;
        }
        if (router.routeByAppName(parsed.value)) events.received(transport, 1);
        else events.rejected(transport, 'unknown_token');
      },
      malformed() {
        events.rejected(transport, 'malformed');
      },
    },
    { maxFrameBytes: opts.maxMessageBytes },
  );
  socket.setTimeout(opts.idleTimeoutMs, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => framer.push(chunk));
  socket.on('end', () => {
    framer.end();
    socket.end();
  });
  // Peers vanish and send garbage; none of that is the server's problem to report loudly.
  socket.on('error', () => socket.destroy());
}

export function createSyslogTcpServer(router: Router, events: IngestEvents, opts: SyslogStreamOptions): net.Server {
  const server = net.createServer({ noDelay: true }, (socket) => attach(socket, 'tcp', router, events, opts));
  server.maxConnections = opts.maxConnections;
  return server;
}

export function createSyslogTlsServer(
  router: Router,
  events: IngestEvents,
  opts: SyslogStreamOptions & { cert: Buffer; key: Buffer },
): tls.Server {
  const server = tls.createServer({ cert: opts.cert, key: opts.key, handshakeTimeout: 10_000 }, (socket) =>
    attach(socket, 'tls', router, events, opts),
  );
  server.maxConnections = opts.maxConnections;
  // A failed handshake (a plain-TCP client, a port scanner) is the client's problem.
  server.on('tlsClientError', () => events.rejected('tls', 'handshake'));
  return server;
}
