// Syslog over TCP and TLS (SPEC §3.2): one framer per connection, bounded, idle-timed and under connection limits.
import net from 'node:net';
import tls from 'node:tls';
import type { IngestEvents, Transport } from '../telemetry/catalogue.js';
import { StreamFramer } from '../wire/octet-stream.js';
import type { ConnectionTable } from './connection-limits.js';
import type { SyslogLineHandler } from './syslog-lines.js';

export interface SyslogStreamOptions {
  maxMessageBytes: number;
  /** A connection that sends nothing for this long is closed (slow or dead peers hold no socket forever). */
  idleTimeoutMs: number;
  /** Per-listener and per-address limits; at a limit the longest-idle connection is closed for the new one. */
  connections: ConnectionTable;
  /** The per-message path (parse, token scrub, route, unknown-token accounting). */
  handle: SyslogLineHandler;
  /** Bytes thrown away while resynchronising after malformed frames are added here. */
  discarded: (transport: Transport, bytes: number) => void;
}

/** Wires a connected socket to the router; shared by the TCP and TLS listeners. */
function attach(socket: net.Socket, transport: Transport, events: IngestEvents, opts: SyslogStreamOptions): void {
  // Per chunk, not per line: one clock read (only if an RFC 3164 line needs it) and one counter
  // update, so that the per-line path allocates nothing beyond the parsed line itself.
  let now: Date | undefined;
  const clock = (): Date => (now ??= new Date());
  const address = socket.remoteAddress ?? 'unknown';
  const handle = opts.handle;
  let received = 0;
  const framer = new StreamFramer(
    {
      frame(bytes) {
        if (handle(bytes.toString(), clock, address, bytes)) received++; // UTF-8; no arguments is toString's fast path
      },
      malformed() {
        events.rejected(transport, 'malformed');
      },
    },
    { maxFrameBytes: opts.maxMessageBytes },
  );
  let discarded = 0;
  const flushCount = (): void => {
    if (received > 0) events.received(transport, received);
    received = 0;
    now = undefined;
    if (framer.discardedBytes !== discarded) {
      opts.discarded(transport, framer.discardedBytes - discarded);
      discarded = framer.discardedBytes;
    }
  };
  socket.setTimeout(opts.idleTimeoutMs, () => socket.destroy());
  // One chunk (≤ 64 KiB) per connection per turn of the event loop. Left alone, libuv reads up to
  // 32 chunks from a busy socket before anything else runs, and ~10,000 lines arriving in one
  // go would overflow every drain buffer (1,024) before a drain could send; pausing until the
  // next turn lets drains' sockets and HTTP responses be served between chunks. (Slicing chunks
  // further, 16 KiB per turn, was measured: it cost ~15% of syslog → syslog throughput and did
  // not make HTTP drains lose less.)
  const resume = (): void => {
    if (!socket.destroyed) socket.resume();
  };
  socket.on('data', (chunk: Buffer) => {
    opts.connections.touch(socket);
    framer.push(chunk);
    flushCount();
    socket.pause();
    setImmediate(resume);
  });
  socket.on('end', () => {
    framer.end();
    flushCount();
    socket.end();
  });
  // Peers vanish and send garbage; none of that is the server's problem to report loudly.
  socket.on('error', () => socket.destroy());
}

export function createSyslogTcpServer(events: IngestEvents, opts: SyslogStreamOptions): net.Server {
  return net.createServer({ noDelay: true }, (socket) => {
    if (opts.connections.admit(socket)) attach(socket, 'tcp', events, opts);
  });
}

/**
 * TLS connections enter the table once their handshake is done (the TLS socket is the one that
 * carries data); connections still shaking hands are bounded by the 10 s handshake timeout.
 */
export function createSyslogTlsServer(events: IngestEvents, opts: SyslogStreamOptions & { cert: Buffer; key: Buffer }): tls.Server {
  const server = tls.createServer({ cert: opts.cert, key: opts.key, handshakeTimeout: 10_000 }, (socket) => {
    if (opts.connections.admit(socket)) attach(socket, 'tls', events, opts);
  });
  // A failed handshake (a plain-TCP client, a port scanner) is the client's problem.
  server.on('tlsClientError', () => events.rejected('tls', 'handshake'));
  return server;
}
