// The node's one connection to NATS JetStream: options from --nats-url, a deadline on every call, and engine health.
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { SluiceError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';

/** Every engine call answers within this, or the caller is told the engine is unavailable. */
export const ENGINE_TIMEOUT_MS = 2_000;

/**
 * `ok`: answering and ours. `unreachable`: calls time out or fail. `empty`: the engine answers
 * but holds no Sluice cluster (wiped). `foreign`: it holds another cluster's identity.
 */
export type EngineState = 'ok' | 'unreachable' | 'empty' | 'foreign';

export interface LinkOptions {
  /** `nats://[user:pass@]host:port,…` (comma-separated; `tls://` asks for TLS). */
  url: string;
  /** A NATS credentials file (JWT + nkey seed), as `nats --creds` takes it. */
  credsFile?: string;
  /** PEM CA file for the servers' TLS certificates. */
  caFile?: string;
  timeoutMs?: number;
}

export interface NatsParts {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

/** Connection options as NATS clients take them: servers, user/password or token from the URL, TLS, creds. */
export function connectionOptions(o: LinkOptions): ConnectionOptions {
  const servers: string[] = [];
  let user: string | undefined;
  let pass: string | undefined;
  let tls = false;
  for (const raw of o.url.split(',').map((s) => s.trim()).filter(Boolean)) {
    const u = new URL(raw.includes('://') ? raw : `nats://${raw}`);
    if (!['nats:', 'tls:'].includes(u.protocol)) throw new Error(`--nats-url: ${redactUrl(raw)} must start with nats:// or tls://`);
    if (u.protocol === 'tls:') tls = true;
    if (u.username) user = decodeURIComponent(u.username);
    if (u.password) pass = decodeURIComponent(u.password);
    servers.push(`${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || '4222'}`);
  }
  if (servers.length === 0) throw new Error('--nats-url names no server');
  const opts: ConnectionOptions = {
    servers,
    name: 'sluice',
    timeout: o.timeoutMs ?? ENGINE_TIMEOUT_MS,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // A paused server shows as stale within ~3 s instead of the default 4 minutes.
    pingInterval: 1_000,
    maxPingOut: 3,
  };
  // A URL with only a user part is a token (`nats://s3cr3t@host`), as the NATS CLI reads it.
  if (user !== undefined && pass === undefined) opts.token = user;
  else if (user !== undefined) Object.assign(opts, { user, pass });
  if (o.credsFile) opts.authenticator = credsAuthenticator(readFileSync(o.credsFile));
  if (tls || o.caFile) opts.tls = o.caFile ? { caFile: o.caFile } : {};
  return opts;
}

/**
 * Holds the connection and the engine's state as last seen. `call` puts a deadline on any
 * engine promise; `guard` refuses at once while the engine is known to be unreachable, empty or
 * foreign, so an API write answers 503 immediately rather than after the timeout.
 */
export class NatsLink {
  state: EngineState = 'ok';
  reason = '';
  /** Engine calls that failed or timed out since start (for /metrics). */
  failures = 0;
  readonly timeoutMs: number;
  private readonly listeners = new Set<(s: EngineState) => void>();

  private constructor(
    readonly parts: NatsParts,
    readonly servers: number,
    timeoutMs: number,
  ) {
    this.timeoutMs = timeoutMs;
  }

  static async open(o: LinkOptions): Promise<NatsLink> {
    const opts = connectionOptions(o);
    const nc = await connect(opts);
    const timeout = o.timeoutMs ?? ENGINE_TIMEOUT_MS;
    const js = jetstream(nc, { timeout });
    const jsm = await jetstreamManager(nc, { timeout, checkAPI: false });
    return new NatsLink({ nc, js, jsm }, (opts.servers as string[]).length, timeout);
  }

  /** R3 with three or more servers named, else R1 (a single test server). */
  get replicas(): number {
    return this.servers >= 3 ? 3 : 1;
  }

  get nc(): NatsConnection {
    return this.parts.nc;
  }

  /** Throws the 503 of the current state unless the engine is usable. */
  guard(): void {
    if (this.state !== 'ok') throw this.unavailable();
  }

  unavailable(): SluiceError {
    const why =
      this.state === 'unreachable'
        ? `the cluster engine (NATS JetStream) is not answering${this.reason ? ` (${this.reason})` : ''}`
        : this.state === 'empty'
          ? 'the cluster engine (NATS JetStream) came back empty; this node refuses to adopt it and keeps serving its own copy'
          : "the cluster engine (NATS JetStream) holds another cluster's identity; this node refuses to adopt it";
    return new SluiceError('unavailable', `Configuration changes are unavailable: ${why}. Input is still accepted; try again later.`);
  }

  /** `p` with the engine deadline (or `ms`); a timeout or failure marks the engine unreachable. */
  async call<T>(p: Promise<T>, what: string, ms = this.timeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EngineTimeout(`${what}: no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([p, deadline]);
    } catch (err) {
      if (isEngineDown(err)) {
        this.failures++;
        this.set('unreachable', err instanceof Error ? err.message : String(err));
        throw this.unavailable();
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  set(state: EngineState, reason = ''): void {
    this.reason = reason;
    if (state === this.state) return;
    this.state = state;
    for (const l of this.listeners) l(state);
  }

  onState(l: (s: EngineState) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.parts.nc.close().catch(() => {});
  }
}

/**
 * `f` tried again with a fresh request after `eachMs` without an answer, until `totalMs` is
 * spent. nats-server 2.9 places an ephemeral consumer on a random peer of the stream, a dead
 * one included (a server killed without shutting down stays "online" for a minute or more):
 * that creation never answers, and a new request lands on a live peer with odds 2 in 3.
 */
export async function retrying<T>(f: () => Promise<T>, eachMs: number, totalMs: number, what: string): Promise<T> {
  const deadline = Date.now() + totalMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new EngineTimeout(`${what}: no answer within ${totalMs} ms`);
    let timer: NodeJS.Timeout | undefined;
    const attempt = f();
    attempt.catch(() => {}); // a late answer or failure of an abandoned attempt is not ours
    try {
      return await Promise.race([attempt, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new EngineTimeout(what)), Math.min(eachMs, left))))]);
    } catch (err) {
      if (!(err instanceof EngineTimeout)) throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

export class EngineTimeout extends Error {
  override readonly name = 'EngineTimeout';
}

/** Timeouts, lost connections and "no responders" mean the engine is gone; API errors do not. */
export function isEngineDown(err: unknown): boolean {
  if (err instanceof EngineTimeout) return true;
  const e = err as { name?: string; code?: string | number; status?: number; message?: string };
  // JetStream's own "not now" answers carry status 503 (no meta leader yet after servers came
  // back, a stream without a leader, peers not placed): the engine is there but cannot answer yet.
  if (e?.status === 503) return true;
  const text = `${e?.name ?? ''} ${e?.message ?? ''}`;
  // A publish nobody answers after the client's own retries (a stream still electing its leader
  // after a pause) comes back from the JetStream client as "jetstream is not enabled".
  return /Timeout|timeout|NoResponders|no responders|JetStreamNotEnabled|jetstream is not enabled|ConnectionError|closed|disconnect|ClosedConnection|503|temporarily unavailable|not available|no suitable peers|insufficient resources|no leader/i.test(text);
}

/** The JetStream API error code for "wrong last sequence" (a create-only key already exists). */
export const WRONG_LAST_SEQUENCE = 10071;

export function isWrongLastSequence(err: unknown): boolean {
  const e = err as { code?: number; message?: string; api_error?: { err_code?: number } };
  return e?.code === WRONG_LAST_SEQUENCE || e?.api_error?.err_code === WRONG_LAST_SEQUENCE || /wrong last sequence/i.test(e?.message ?? '');
}
