// A real DNS server on 127.0.0.1 for the egress tests: answers A/AAAA from a table (changeable
// while running), NXDOMAIN for other names, and never answers the names told to hang.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface DnsRecords {
  A?: string[];
  AAAA?: string[];
  /** Seconds; default 1. */
  ttl?: number;
}

export interface TestDns {
  /** `127.0.0.1:<port>`, for `--drain-dns-servers` and Resolver.setServers. */
  server: string;
  /** Every question received, as `NAME TYPE`. */
  queries: string[];
  records: Map<string, DnsRecords>;
  /** Names (lowercase) whose queries are read and never answered. */
  hang: Set<string>;
  close(): Promise<void>;
}

export async function startDns(records: Record<string, DnsRecords> = {}, hang: string[] = []): Promise<TestDns> {
  const socket = dgram.createSocket('udp4');
  const table = new Map(Object.entries(records).map(([k, v]) => [k.toLowerCase(), v]));
  const hanging = new Set(hang.map((h) => h.toLowerCase()));
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    queries.push(`${name} ${question.type}`);
    if (hanging.has(name)) return;
    const rec = table.get(name);
    const list = rec ? (question.type === 'A' ? rec.A : question.type === 'AAAA' ? rec.AAAA : undefined) ?? [] : [];
    const answers = list.map((data) => ({ type: question.type as 'A' | 'AAAA', name: question.name, ttl: rec?.ttl ?? 1, data }));
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id,
      // Authoritative; NXDOMAIN (rcode 3) when the name is unknown, NOERROR with no answers for a missing type.
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (rec ? 0 : 3),
      questions: [question],
      answers,
    });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    records: table,
    hang: hanging,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
