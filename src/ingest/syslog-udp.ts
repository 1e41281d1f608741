// Syslog over UDP (SPEC §3.2): one datagram, one message.
import dgram from 'node:dgram';
import type { Router } from '../router/router.js';
import type { IngestEvents } from '../telemetry/catalogue.js';
import { parseSyslog } from '../wire/syslog.js';

export function createSyslogUdpSocket(router: Router, events: IngestEvents, opts: { maxMessageBytes: number }): dgram.Socket {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  socket.on('message', (msg) => {
    // Senders such as rsyslog end datagrams with LF; it is framing, not message content.
    let end = msg.length;
    if (end > 0 && msg[end - 1] === 0x0a) end--;
    if (end === 0) return;
    if (end > opts.maxMessageBytes) {
      events.rejected('udp', 'too_large');
      return;
    }
    const parsed = parseSyslog(msg.toString('utf8', 0, end), new Date());
    if (!parsed.ok) {
      events.rejected('udp', 'malformed');
      return;
    }
    if (router.routeByAppName(parsed.value)) events.received('udp', 1);
    else events.rejected('udp', 'unknown_token');
  });
  socket.on('error', () => {
    /* a bad datagram never takes the socket down; bind errors surface through bind() */
  });
  return socket;
}
