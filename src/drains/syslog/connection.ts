// One outgoing syslog connection, TCP or TLS (SNI, hostname verification, extra CA, #insecure).
import net from 'node:net';
import tls from 'node:tls';
import { guardedLookup, literalRefusal } from '../address-guard.js';

export interface SyslogTarget {
  host: string;
  port: number;
  tls: boolean;
  insecure: boolean;
}

/** Default ports (SPEC §4.2): 601 TCP, 6514 TLS, 514 UDP. */
export function syslogTarget(raw: string): SyslogTarget {
  const u = new URL(raw);
  const isTls = u.protocol === 'syslog+tls:';
  const isUdp = u.protocol === 'syslog+udp:' || u.protocol === 'udpsyslog:';
  const port = u.port ? Number(u.port) : isTls ? 6514 : isUdp ? 514 : 601;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, tls: isTls, insecure: u.hash === '#insecure' };
}

export interface ConnectOptions {
  timeoutMs: number;
  /** Extra trusted CA (PEM) added to the system's. */
  ca?: Buffer;
  /** Refuse loopback and private addresses too (link-local always is). */
  denyPrivate: boolean;
}

/** Resolves once connected (and, for TLS, the certificate verified); rejects on error or timeout. */
export function connectSyslog(t: SyslogTarget, o: ConnectOptions): Promise<net.Socket> {
  const refused = literalRefusal(t.host, o.denyPrivate);
  if (refused) return Promise.reject(new Error(refused));
  const lookup = guardedLookup(o.denyPrivate);
  return new Promise((resolve, reject) => {
    const sock: net.Socket = t.tls
      ? tls.connect({
          host: t.host,
          port: t.port,
          lookup,
          servername: net.isIP(t.host) ? undefined : t.host,
          rejectUnauthorized: !t.insecure,
          ...(o.ca ? { ca: [...tls.rootCertificates, o.ca.toString('utf8')] } : {}),
        })
      : net.connect({ host: t.host, port: t.port, lookup });
    const timer = setTimeout(() => fail(new Error(`connect timeout after ${o.timeoutMs} ms`)), o.timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    sock.once('error', fail);
    sock.once(t.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      sock.off('error', fail);
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 60_000);
      resolve(sock);
    });
  });
}

/**
 * Writes and waits until the kernel took every byte; resolves with an error only when the
 * connection fails. A receiver that stops reading is waited for, never cut off mid-frame: after
 * `stallMs` `onStall` is told (the drain reports it) and the write goes on waiting, because
 * closing now would leave a partial frame on the stream and send its lines twice.
 */
export function writeAll(sock: net.Socket, data: Buffer, stallMs: number, onStall?: (ms: number) => void): Promise<string | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (err: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.off('close', onClose);
      resolve(err);
    };
    const onClose = (): void => finish('connection closed');
    const timer = setTimeout(() => onStall?.(stallMs), stallMs);
    sock.once('close', onClose);
    if (sock.destroyed || !sock.writable) return finish('connection closed');
    sock.write(data, (err) => finish(err ? err.message : undefined));
  });
}
