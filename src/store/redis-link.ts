// Cluster mode's Redis connections: one for commands, one subscribed to the cluster's channels.
import { Redis } from 'ioredis';

/** Every key and channel Sluice uses starts with this, so a Redis can be shared with others. */
export const PREFIX = 'sluice:';

export const keys = {
  /** Hash per record kind: id (or hostname, setting key) → JSON record. */
  config: (kind: string): string => `${PREFIX}cfg:${kind}`,
  /** App name → app id: makes a name unique across nodes that create apps at the same moment. */
  appNames: `${PREFIX}cfg:app-names`,
  /** List of cooked RFC 5424 lines, the newest last, trimmed to the newest 1,500. */
  history: (appId: string): string => `${PREFIX}history:${appId}`,
  /** A log session (JSON), with the open window as its TTL. */
  session: (id: string): string => `${PREFIX}session:${id}`,
  /** Sorted set of `<node>|<appId>` → expiry (ms): which node has a tail open on which app. */
  tails: `${PREFIX}tails`,
} as const;

export const channels = {
  /** `{n: node, k: kind, i: id}`: a record changed; listeners re-read it. */
  config: `${PREFIX}config`,
  /** `{n: node, a: [[appId, [line, …]], …]}`: lines routed on node n, for tails elsewhere. */
  lines: `${PREFIX}lines`,
  /** `{n: node, a: appId}`: node n opened its first tail on an app. */
  tails: `${PREFIX}tails`,
} as const;

/**
 * A command that cannot reach Redis fails after a couple of reconnect attempts (about half a
 * second) instead of waiting for ever; reconnects back off up to 2 s.
 */
export const CONNECTION_OPTIONS = {
  maxRetriesPerRequest: 2,
  connectTimeout: 5_000,
  retryStrategy: (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
};

export type MessageHandler = (message: string) => void;

/**
 * The two connections a node holds. Commands fail fast (CONNECTION_OPTIONS), so a Redis outage
 * shows as errors (an API 500, an L15 line, counted history drops), never as a hung node. The
 * subscriber resubscribes by itself after a reconnect; `onResubscribed` listeners then catch
 * up on what they may have missed meanwhile.
 */
export class RedisLink {
  readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly resubscribed = new Set<() => void>();
  private everReady = false;
  private lastError = '';

  constructor(
    url: string,
    private readonly log: (msg: string) => void = () => {},
  ) {
    const common = { ...CONNECTION_OPTIONS, lazyConnect: true };
    this.cmd = new Redis(url, { ...common, connectionName: 'sluice' });
    this.sub = new Redis(url, { ...common, connectionName: 'sluice-sub' });
    for (const c of [this.cmd, this.sub]) {
      c.on('error', (err: Error) => {
        // Said once per distinct error, not once per reconnect attempt.
        if (err.message !== this.lastError) this.log(`sluice: redis: ${err.message}`);
        this.lastError = err.message;
      });
    }
    this.sub.on('message', (channel: string, message: string) => this.handlers.get(channel)?.(message));
    this.sub.on('ready', () => {
      if (!this.everReady) return;
      this.lastError = '';
      for (const f of this.resubscribed) f();
    });
  }

  /** Connects both; rejects when Redis cannot be reached (the node then refuses to start). */
  async connect(): Promise<void> {
    await Promise.all([this.cmd.connect(), this.sub.connect()]);
    await this.cmd.ping();
    this.everReady = true;
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<void> {
    this.handlers.set(channel, handler);
    await this.sub.subscribe(channel);
  }

  /** Called after the subscriber reconnected: messages sent meanwhile were lost. */
  onResubscribed(f: () => void): () => void {
    this.resubscribed.add(f);
    return () => this.resubscribed.delete(f);
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.resubscribed.clear();
    await Promise.all([quit(this.sub), quit(this.cmd)]);
  }
}

async function quit(c: Redis): Promise<void> {
  try {
    if (c.status === 'ready') await c.quit();
    else c.disconnect();
  } catch {
    c.disconnect();
  }
}
