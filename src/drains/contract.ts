// The drain contract: what the manager asks of every drain kind, and the options they share.
import type { LogLine } from '../core/log-line.js';
import type { TelemetryConfig } from '../store/records.js';
import type { FrameEncoder } from './encoder.js';
import type { HealthTracker } from './health.js';
import type { DrainQueue } from './queue/queue.js';
import type { DrainKind } from './url.js';

/** Timing and sizing knobs. Defaults follow Logplex where it had one (see docs/drains.md). */
export interface DrainOptions {
  /** TCP (and TLS handshake) connect timeout. Logplex: 3 s (HTTP), 4 s (syslog). */
  connectTimeoutMs: number;
  /** One HTTP request, from sending to the end of the response. Logplex: 5 s. */
  requestTimeoutMs: number;
  /** A syslog socket write must complete within this, or the connection is dropped. Logplex: 4 s. */
  sendTimeoutMs: number;
  /** Jittered exponential backoff: attempt n waits between ½ and 1 × min(max, base × 2^(n−1)). */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Attempts per HTTP batch before it is dropped (and counted into L10). Unlimited by default:
   *  a batch waits for its receiver, and only the queue's budgets drop lines. */
  maxAttempts: number;
  /** HTTP batch limits (SPEC §8): ~100 KiB or 1,000 messages. */
  batchMaxBytes: number;
  batchMaxMessages: number;
  /** Bytes of frames per syslog socket write. */
  writeMaxBytes: number;
  /** Consecutive failures after which a drain reports `failing` rather than `retrying`. */
  failingAfter: number;
  /** At most one L14 line per drain per this interval while certificate failures persist. */
  l14IntervalMs: number;
  /** Longest `Retry-After` honoured; a larger value is capped (a receiver cannot park a drain forever). */
  maxRetryAfterMs: number;
  /** `--deny-private-drains`: never dial loopback or private addresses (link-local never is). */
  denyPrivate: boolean;
}

export const DEFAULT_DRAIN_OPTIONS: DrainOptions = {
  connectTimeoutMs: 3_000,
  requestTimeoutMs: 5_000,
  sendTimeoutMs: 4_000,
  backoffBaseMs: 500,
  backoffMaxMs: 60_000,
  maxAttempts: Infinity,
  batchMaxBytes: 102_400,
  batchMaxMessages: 1_000,
  writeMaxBytes: 64 * 1024,
  failingAfter: 3,
  l14IntervalMs: 5 * 60_000,
  maxRetryAfterMs: 5 * 60_000,
  denyPrivate: false,
};

/** Everything a drain gets from the manager. `queue` and `health` outlive a URL change. */
export interface DrainContext {
  id: string;
  appId: string;
  /** `d.<uuid>` */
  token: string;
  /** The full URL, secrets included: only for connecting, never for messages. */
  url: string;
  kind: DrainKind;
  /** The drain's queue of encoded frames (its blocks are this kind's batches or writes). */
  queue: DrainQueue;
  /**
   * Telemetry drains: passed-through traces/metrics requests, one request per block, memory
   * then spool like the line queue; its counters count requests.
   */
  signals?: DrainQueue;
  /** The encoder the manager fills the queue with; the drain uses it for its own L10 frames. */
  encoder: FrameEncoder;
  health: HealthTracker;
  options: DrainOptions;
  /** Extra trusted CAs (PEM), added to the system's for https:// and syslog+tls://. */
  ca?: Buffer;
  /** A telemetry drain's exporter (headers are secrets) and the app's name (`service.name`). */
  telemetry?: TelemetryConfig & { appName: string };
  /** Writes a line into the app's log (history and tails, not drains): used for L14. */
  appLog(line: LogLine): void;
}

/** What `POST …/actions/test` answers: what happened when one test line was sent just now. */
export interface DrainTestResult {
  ok: boolean;
  kind: DrainKind;
  /** A TCP connection was made (for UDP: the datagram was handed to the kernel). */
  connected: boolean;
  /** null for plaintext kinds; `verified: false` with `insecure: true` for `#insecure`. */
  tls: { verified: boolean; insecure: boolean } | null;
  /** The HTTP status, for HTTP drains that got an answer. */
  status: number | null;
  /** What went wrong, without secrets. */
  error: string | null;
  duration_ms: number;
}

/**
 * One drain: the sender over a queue the manager fills. `wake` is the hot path's only call
 * (synchronous, never throws): new frames are queued. `close` delivers until the deadline
 * (epoch ms), then stops; `destroy` stops at once. Neither discards the queue: a batch in flight
 * stays queued. Both are idempotent.
 */
export interface Drain {
  readonly kind: DrainKind;
  wake(): void;
  /** Lines being sent right now (a batch or write in flight). */
  inFlight(): number;
  test(): Promise<DrainTestResult>;
  close(deadline: number): Promise<void>;
  destroy(): void;
}

export type DrainFactory = (ctx: DrainContext) => Drain;

/** What a drain kind supplies: its sender, its encoder, and the size of its queue's blocks. */
export interface DrainKindSpec {
  create: DrainFactory;
  /** `format` is the record's (`rfc5424` or absent); `token` the drain's; `appName` the app's (OTLP `service.name`). */
  encoder(o: { token: string; format?: string | null; appName: string }): FrameEncoder;
  /** One block = one batch or write: at most this many bytes and lines. */
  block(o: DrainOptions): { bytes: number; lines: number };
}
