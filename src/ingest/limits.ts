// The listeners' connection, timeout and memory limits and their defaults (each is a `sluice serve` flag).

/** Connection and timeout limits of the listeners (`sluice serve --help` documents each flag). */
export interface ListenerLimits {
  /** A syslog TCP/TLS connection silent this long is closed (`--syslog-idle-timeout-ms`). */
  syslogIdleTimeoutMs: number;
  /** Open syslog connections per listener (`--syslog-max-connections`). */
  syslogMaxConnections: number;
  /** Open syslog connections from one address (`--syslog-max-connections-per-address`). */
  syslogMaxConnectionsPerAddress: number;
  /** Open HTTP connections (`--http-max-connections`). */
  httpMaxConnections: number;
  /** Open HTTP connections from one address (`--http-max-connections-per-address`). */
  httpMaxConnectionsPerAddress: number;
  /** Time a client has to send a request's headers (`--http-headers-timeout-ms`). */
  httpHeadersTimeoutMs: number;
  /** Time a client has to send a whole request, body included (`--http-request-timeout-ms`). */
  httpRequestTimeoutMs: number;
  /** Estimated bytes of the Logplex-Frame-Id de-duplication memory (`--frame-id-memory-bytes`). */
  frameIdMemoryBytes: number;
}

export const DEFAULT_LIMITS: ListenerLimits = {
  syslogIdleTimeoutMs: 10 * 60_000,
  syslogMaxConnections: 10_000,
  syslogMaxConnectionsPerAddress: 1_000,
  httpMaxConnections: 10_000,
  httpMaxConnectionsPerAddress: 1_000,
  httpHeadersTimeoutMs: 10_000,
  httpRequestTimeoutMs: 30_000,
  frameIdMemoryBytes: 16 << 20,
};
