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
    if (handle(msg.toString('utf8', 0, end), new Date(), rinfo.address)) events.received('udp', 1);
  });
  socket.on('error', () => {
    /* a bad datagram never takes the socket down; bind errors surface through bind() */
  });
  return socket;
}

/**
 * Datagrams the kernel dropped for this process's UDP socket on `port` (its receive buffer was
 * full), from the `drops` column of /proc/net/udp (Linux). The row is the one with that local
 * port whose socket inode is one of this process's open files, so another program's socket on
 * the same port number is never read. Undefined where /proc is not there.
 */
export function udpKernelDrops(port: number): number | undefined {
  let text: string;
  let mine: Set<string>;
  try {
    text = readFileSync('/proc/net/udp', 'utf8');
    mine = new Set();
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
        if (m) mine.add(m[1]);
      } catch {
        /* closed while listing */
      }
    }
  } catch {
    return undefined;
  }
  const want = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let total: number | undefined;
  for (const row of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ref pointer drops
    const cols = row.trim().split(/\s+/);
    if (cols.length < 13 || !cols[1].endsWith(want) || !mine.has(cols[9])) continue;
    const drops = Number(cols[12]);
    if (Number.isFinite(drops)) total = (total ?? 0) + drops;
  }
  return total;
}
