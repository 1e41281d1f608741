// Log sessions in a replicated KV bucket: created on one node, opened on any other within the 60 s window.
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsLink } from '../engine/nats/link.js';
import type { LineFilter } from './filter.js';
import type { LogSession, SessionBackend } from './sessions.js';

export const SESSIONS_BUCKET = 'sluice_sessions';

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
 * One key per session, made with `create`; the bucket's TTL (the open window) removes it, so no
 * node sweeps. An open stream holds its own copy: the key expiring does not end a tail.
 * `beforeTail` runs before a tail session is handed out (the node subscribes to the app's lines).
 */
export class NatsSessions implements SessionBackend {
  private constructor(
    private readonly link: NatsLink,
    private readonly kv: KV,
    /** The same bucket read through its stream leader: what any node wrote and was acknowledged. */
    private readonly leader: KV,
    private readonly beforeTail: (appId: string) => Promise<void>,
  ) {}

  static async open(link: NatsLink, windowMs: number, beforeTail: (appId: string) => Promise<void>): Promise<NatsSessions> {
    const kvm = new Kvm(link.parts.js);
    const kv = await link.call(kvm.create(SESSIONS_BUCKET, { replicas: link.replicas, history: 1, ttl: windowMs }), 'open the sessions bucket');
    const leader = await link.call(kvm.create(SESSIONS_BUCKET, { replicas: link.replicas, history: 1, ttl: windowMs, allow_direct: false }), 'open the sessions bucket');
    return new NatsSessions(link, kv, leader, beforeTail);
  }

  async save(s: LogSession): Promise<void> {
    this.link.guard();
    const v: StoredSession = { secret: s.secret, appId: s.appId, lines: s.lines, tail: s.tail, filter: s.filter, priority: s.priority, createdAt: s.createdAt.toISOString() };
    await this.link.call(this.kv.create(s.id, JSON.stringify(v)), 'store a log session');
  }

  async load(id: string, windowMs: number): Promise<LogSession | undefined> {
    if (!/^[A-Za-z0-9-]+$/.test(id)) return undefined;
    // A direct get may be answered by any replica, one that has not yet stored a session just
    // made through another node among them: a miss asks the stream leader, which has it.
    let e = await this.link.call(this.kv.get(id), 'read a log session');
    if (!e || e.operation !== 'PUT') e = await this.link.call(this.leader.get(id), 'read a log session');
    if (!e || e.operation !== 'PUT') return undefined;
    const v = JSON.parse(e.string()) as StoredSession;
    const createdAt = new Date(v.createdAt);
    if (Date.now() - createdAt.getTime() > windowMs) return undefined;
    if (v.tail) await this.beforeTail(v.appId);
    return { id, secret: v.secret, appId: v.appId, lines: v.lines, tail: v.tail, filter: v.filter, priority: v.priority === true, createdAt };
  }

  /**
   * Deletes the key only if it is still the revision just read (compare-and-set): of two nodes
   * racing to open the same non-tail URL, one deletes it and serves the history, the other 404s.
   */
  async spend(id: string): Promise<boolean> {
    const e = await this.link.call(this.leader.get(id), 'read a log session');
    if (!e || e.operation !== 'PUT') return false;
    try {
      await this.link.call(this.kv.delete(id, { previousSeq: e.revision }), 'spend a log session');
      return true;
    } catch {
      return false;
    }
  }

  dropApp(): void {}

  close(): void {}
}
