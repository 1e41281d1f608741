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
  /** Sluice's extension: each line starts with its syslog `<PRI>` (the console colours severity). */
  priority?: boolean;
  createdAt: Date;
}

/**
 * Where sessions are kept between creation and opening. The embedded node keeps them in memory
 * (`MemorySessions`); a cluster node keeps them in a JetStream KV bucket, so a session made on one node opens on
 * any other (src/tail/nats-sessions.ts). `load` returns nothing once the window is over.
 */
export interface SessionBackend {
  save(session: LogSession, windowMs: number): Promise<void>;
  load(id: string, windowMs: number): Promise<LogSession | undefined>;
  /**
   * Forgets a session so it can never be opened again; true only for the one caller that
   * spent it (two readers racing for a non-tail URL: one gets the history, the other a 404).
   */
  spend(id: string): Promise<boolean>;
  dropApp(appId: string): void;
  close(): void;
}

/** Creates sessions and opens them by id and secret; the backend decides where they live. */
export class SessionRegistry {
  private readonly backend: SessionBackend;

  constructor(
    private readonly windowMs = SESSION_OPEN_WINDOW_MS,
    backend?: SessionBackend,
  ) {
    this.backend = backend ?? new MemorySessions(windowMs);
  }

  async create(init: Omit<LogSession, 'id' | 'secret' | 'createdAt'>): Promise<LogSession> {
    const s: LogSession = { ...init, id: newId(), secret: newSecret(), createdAt: new Date() };
    await this.backend.save(s, this.windowMs);
    return s;
  }

  /**
   * The session if `secret` matches and it is still within its open window. A session without
   * tail is spent by opening it: it serves its history once, and a second GET (an EventSource
   * reconnecting after the stream ended) answers 404, so standard clients stop instead of
   * reading the history again. A tail session stays openable within its window, so a
   * reconnect with Last-Event-ID resumes it.
   */
  async open(id: string, secret: string): Promise<LogSession | undefined> {
    const s = await this.backend.load(id, this.windowMs);
    if (!s || !safeEqual(s.secret, secret)) return undefined;
    if (!s.tail && !(await this.backend.spend(id))) return undefined;
    return s;
  }

  dropApp(appId: string): void {
    this.backend.dropApp(appId);
  }

  close(): void {
    this.backend.close();
  }
}

/**
 * Sessions in memory: they last a minute unless opened, and an open stream holds its own
 * reference. The sweep keeps an abandoned session from living forever.
 */
export class MemorySessions implements SessionBackend {
  private sessions = new Map<string, LogSession>();
  private sweep: NodeJS.Timeout;

  constructor(private readonly windowMs = SESSION_OPEN_WINDOW_MS) {
    this.sweep = setInterval(() => this.expire(Date.now()), Math.min(windowMs, 10_000));
    this.sweep.unref();
  }

  async save(s: LogSession): Promise<void> {
    this.sessions.set(s.id, s);
  }

  async load(id: string): Promise<LogSession | undefined> {
    const s = this.sessions.get(id);
    if (s && Date.now() - s.createdAt.getTime() > this.windowMs) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  async spend(id: string): Promise<boolean> {
    return this.sessions.delete(id);
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
