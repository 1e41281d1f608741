// Log sessions in Redis: created on one node, opened on any other within the 60 s window.
import type { Redis } from 'ioredis';
import type { LineFilter } from '../tail/filter.js';
import type { LogSession, SessionBackend } from '../tail/sessions.js';
import { keys } from './redis.js';

interface StoredSession {
  secret: string;
  appId: string;
  lines: number;
  tail: boolean;
  filter: LineFilter;
  priority?: boolean;
  createdAt: string;
}

/**
 * One key per session with the open window as its TTL (Logplex's `session:<uuid>` SETEX), so
 * Redis expires it and no node sweeps. An open stream holds its own copy: the key expiring does
 * not end a tail. Sessions of a deleted app need no cleanup here: opening one checks that its
 * app still exists, and the key is gone within a minute anyway.
 */
export class RedisSessions implements SessionBackend {
  /**
   * `beforeTail` runs before a tail session is handed out (the bus announces the tail there, so
   * other nodes publish the app's lines before the stream answers).
   */
  constructor(
    private readonly redis: Redis,
    private readonly beforeTail: (appId: string) => Promise<void> = async () => {},
  ) {}

  async save(s: LogSession, windowMs: number): Promise<void> {
    const v: StoredSession = { secret: s.secret, appId: s.appId, lines: s.lines, tail: s.tail, filter: s.filter, priority: s.priority, createdAt: s.createdAt.toISOString() };
    await this.redis.set(keys.session(s.id), JSON.stringify(v), 'PX', windowMs);
  }

  async load(id: string): Promise<LogSession | undefined> {
    const text = await this.redis.get(keys.session(id));
    if (text === null) return undefined;
    const v = JSON.parse(text) as StoredSession;
    if (v.tail) await this.beforeTail(v.appId);
    return { id, secret: v.secret, appId: v.appId, lines: v.lines, tail: v.tail, filter: v.filter, priority: v.priority === true, createdAt: new Date(v.createdAt) };
  }

  dropApp(): void {}

  close(): void {}
}
