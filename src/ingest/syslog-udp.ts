// Syslog over UDP (SPEC §3.2): one datagram, one message; the kernel's own drops are read for /metrics.
import dgram from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { IngestEvents } from '../telemetry/catalogue.js';
import type { SyslogLineHandler } from './syslog-lines.js';

export function createSyslogUdpSocket(events: IngestEvents, opts: { maxMessageBytes: number; handle: SyslogLineHandler }): dgram.Socket {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const handle = opts.handle;
  socket.on('message', (msg, rinfo) => {
    // One trailing NUL (Python's SysLogHandler) or LF (rsyslog) is framing, not message content.
    let end = msg.length;
    if (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x00)) end--;
    if (end === 0) return;
    if (end > opts.maxMessageBytes) {
      events.rejected('udp', 'too_large');
      return;
    }
    if (handle(msg.toString('utf8', 0, end), new Date(), rinfo.address, msg.subarray(0, end))) events.received('udp', 1);
  });
  socket.on('error', () => {
    /* a bad datagram never takes the socket down; bind errors surface through bind() */
  });
  return socket;
}

/**
 * A reader of the datagrams the kernel dropped for this process's UDP socket on `port` (its
 * receive buffer was full): the `drops` column of /proc/net/udp (Linux). The row is the one with
 * that local port whose socket inode is one of this process's open files, so another program's
 * socket on the same port number is never read; the inode is looked up once (it never changes
 * for a socket) rather than walking every open file at each scrape. Undefined without /proc.
 */
export function udpKernelDropsReader(port: number): () => number | undefined {
  const want = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let inode: string | undefined;
  return () => {
    let rows: string[][];
    try {
      rows = readFileSync('/proc/net/udp', 'utf8')
        .split('\n')
        .slice(1)
        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
        .map((row) => row.trim().split(/\s+/))
        .filter((cols) => cols.length >= 13 && cols[1].endsWith(want));
      inode ??= rows.map((cols) => cols[9]).find((i) => ownSocketInodes().has(i));
    } catch {
      return undefined;
    }
    const row = rows.find((cols) => cols[9] === inode);
    const drops = row ? Number(row[12]) : NaN;
    return Number.isFinite(drops) ? drops : undefined;
  };
}

/** Inodes of the sockets this process has open (`/proc/self/fd/N → socket:[inode]`). */
function ownSocketInodes(): Set<string> {
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) mine.add(m[1]);
    } catch {
      /* closed while listing */
    }
  }
  return mine;
}
