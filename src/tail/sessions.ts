// Log sessions: short-lived capabilities to read an app's history and tail, opened within 60 s.
import { newId, newSecret } from '../core/ids.js';
import { safeEqual } from '../core/secret.js';
import type { LineFilter } from './filter.js';

export const SESSION_OPEN_WINDOW_MS = 60_000;

export interface LogSession {
  id: string;
  secret: string;
  appId: string;
  lines: number;
  tail: boolean;
  filter: LineFilter;
  createdAt: Date;
}

/**
 * Sessions live in memory: they last a minute unless opened, and an open stream holds its
 * own reference. The sweep keeps an abandoned session from living forever.
 */
export class SessionRegistry {
  private sessions = new Map<string, LogSession>();
  private sweep: NodeJS.Timeout;

  constructor(private readonly windowMs = SESSION_OPEN_WINDOW_MS) {
    this.sweep = setInterval(() => this.expire(Date.now()), Math.min(windowMs, 10_000));
    this.sweep.unref();
  }

  create(init: Omit<LogSession, 'id' | 'secret' | 'createdAt'>): LogSession {
    const s: LogSession = { ...init, id: newId(), secret: newSecret(), createdAt: new Date() };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The session if `secret` matches and it is still within its open window. */
  open(id: string, secret: string): LogSession | undefined {
    const s = this.sessions.get(id);
    if (!s || !safeEqual(s.secret, secret)) return undefined;
    if (Date.now() - s.createdAt.getTime() > this.windowMs) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  dropApp(appId: string): void {
    for (const [id, s] of this.sessions) if (s.appId === appId) this.sessions.delete(id);
  }

  close(): void {
    clearInterval(this.sweep);
    this.sessions.clear();
  }

  private expire(now: number): void {
    for (const [id, s] of this.sessions) {
      if (now - s.createdAt.getTime() > this.windowMs) this.sessions.delete(id);
    }
  }
}
