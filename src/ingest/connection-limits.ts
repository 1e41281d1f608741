// Connection limits per listener and per sender address: at a limit the longest-idle connection makes room.
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type net from 'node:net';
import type { Metrics } from '../telemetry/metrics.js';
import type { Logger } from '../telemetry/logger.js';
import { DropReport } from './drop-report.js';

export interface ConnectionLimits {
  /** Most open connections on the listener. */
  maxConnections: number;
  /** Most open connections from one address (IPv4, or IPv6 as the kernel reports it). */
  maxPerAddress: number;
}

/** What a connection is doing, as far as eviction cares. */
const IDLE = 0; // no request in flight: a syslog connection, a keep-alive or slow-header HTTP one
const RECEIVING = 1; // an HTTP request whose body is still arriving
const ANSWERING = 2; // an HTTP request read whole and being answered (a tail may last hours): never evicted

interface Entry {
  address: string;
  /** The HTTP request in flight, if any. */
  req: { complete: boolean } | undefined;
}

function stage(e: Entry): number {
  return e.req === undefined ? IDLE : e.req.complete ? ANSWERING : RECEIVING;
}

export type ListenerName = 'http' | 'tcp' | 'tls';
const LABEL: Record<ListenerName, string> = { http: 'HTTP', tcp: 'syslog TCP', tls: 'syslog TLS' };

/**
 * The open connections of one listener in activity order (a Map keeps insertion order, and a
 * touched connection is re-inserted at the end), overall and per address. A new connection over
 * a limit closes the least recently active connection that is not answering a request — from
 * the same address when that address is at its limit — so a flood of idle or slow connections
 * can hold at most the limits and never locks new senders out. It is refused only when every
 * candidate is answering a request. Each eviction and refusal is counted and summarised in the
 * server log.
 */
export class ConnectionTable {
  readonly #all = new Map<net.Socket, Entry>();
  readonly #byAddress = new Map<string, Map<net.Socket, Entry>>();
  readonly #limits: ConnectionLimits;
  readonly #evicted: (reason: string) => void;
  readonly #refused: (reason: string) => void;
  readonly #report: DropReport;

  constructor(
    readonly listener: ListenerName,
    limits: ConnectionLimits,
    metrics: Metrics,
    logger: Logger,
  ) {
    this.#limits = limits;
    const evicted = metrics.counter('sluice_connections_evicted_total', 'Idle or slow connections closed to make room for new ones, by listener and the limit reached.');
    const refused = metrics.counter('sluice_connections_refused_total', 'New connections refused because every connection over the limit was answering a request.');
    this.#evicted = (reason) => evicted({ listener, reason });
    this.#refused = (reason) => refused({ listener, reason });
    this.#report = new DropReport(logger, {
      fields: { event: 'connection_limit', listener },
      describe: (count, seconds, address) =>
        `closed or refused ${count} ${LABEL[listener]} ${count === 1 ? 'connection' : 'connections'} in the last ${seconds} s at the connection limits ` +
        `(${limits.maxPerAddress} per address, ${limits.maxConnections} in all; the longest idle make room) — newest from ${address}`,
    });
  }

  get size(): number {
    return this.#all.size;
  }

  /** Registers a new connection, making room first; false (and the socket destroyed) when refused. */
  admit(socket: net.Socket): boolean {
    const address = socket.remoteAddress ?? 'unknown';
    const mine = this.#byAddress.get(address);
    if (mine !== undefined && mine.size >= this.#limits.maxPerAddress && !this.#evictFrom(mine, 'address_limit', address)) {
      return this.#refuse(socket, 'address_limit', address);
    }
    if (this.#all.size >= this.#limits.maxConnections && !this.#evictFrom(this.#all, 'total_limit', address)) {
      return this.#refuse(socket, 'total_limit', address);
    }
    const entry: Entry = { address, req: undefined };
    this.#all.set(socket, entry);
    let set = this.#byAddress.get(address);
    if (set === undefined) this.#byAddress.set(address, (set = new Map()));
    set.set(socket, entry);
    socket.once('close', () => this.#forget(socket, entry));
    return true;
  }

  /** The connection did something (bytes arrived, a request began or ended): it is now the most recent. */
  touch(socket: net.Socket, req?: { complete: boolean }): void {
    const entry = this.#all.get(socket);
    if (entry === undefined) return;
    entry.req = req;
    this.#all.delete(socket);
    this.#all.set(socket, entry);
    const set = this.#byAddress.get(entry.address);
    if (set !== undefined) {
      set.delete(socket);
      set.set(socket, entry);
    }
  }

  /** The request `req` was answered: the connection is idle again (unless a newer request began). */
  done(socket: net.Socket, req: { complete: boolean }): void {
    if (this.#all.get(socket)?.req === req) this.touch(socket);
  }

  close(): void {
    this.#report.close();
  }

  #evictFrom(candidates: Map<net.Socket, Entry>, reason: string, address: string): boolean {
    for (const wanted of [IDLE, RECEIVING]) {
      for (const [socket, entry] of candidates) {
        if (stage(entry) !== wanted) continue;
        this.#forget(socket, entry);
        socket.destroy();
        this.#evicted(reason);
        this.#report.note(address);
        return true;
      }
    }
    return false;
  }

  #refuse(socket: net.Socket, reason: string, address: string): false {
    socket.destroy();
    this.#refused(reason);
    this.#report.note(address);
    return false;
  }

  #forget(socket: net.Socket, entry: Entry): void {
    if (this.#all.get(socket) !== entry) return;
    this.#all.delete(socket);
    const set = this.#byAddress.get(entry.address);
    set?.delete(socket);
    if (set?.size === 0) this.#byAddress.delete(entry.address);
  }
}

/**
 * Puts an HTTP server's connections under a table: a connection is idle until a request starts,
 * receiving until its body is read, answering until the response ends, then idle again.
 */
export function limitHttpConnections(server: HttpServer, table: ConnectionTable): void {
  server.on('connection', (socket: net.Socket) => {
    table.admit(socket);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    table.touch(req.socket, req);
    const done = (): void => table.done(req.socket, req);
    res.once('finish', done);
    res.once('close', done);
  });
}
