// The cluster configuration store: Redis is the truth, every node mirrors all of it in memory.
import { SluiceError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { channels, keys, type RedisLink } from './redis-link.js';
import type { ChangeKind, ChangeListener, ConfigStore } from './contract.js';
import type {
  AddonRecord,
  AddonServiceRecord,
  ApiKeyRecord,
  AppRecord,
  DomainRecord,
  DrainRecord,
  TokenRecord,
} from './records.js';

/** Settings replicate like records but are nobody's ChangeKind: listeners never hear them. */
type Kind = ChangeKind | 'setting';
const KINDS: readonly Kind[] = ['app', 'token', 'domain', 'apikey', 'drain', 'service', 'addon', 'setting'];

interface ChangeMessage {
  /** The writing node: it applied the change already and ignores its own message. */
  n: string;
  k: Kind;
  i: string;
}

type Snapshot = Map<Kind, Map<string, string>>;

/**
 * Layout: one hash per kind (`sluice:cfg:app`, …) holding each record as JSON under its id
 * (hostname for domains, key for settings). A write is one MULTI: the record(s), plus one
 * PUBLISH `{n, k, i}` per record on `sluice:config`. The writer re-reads what it wrote before
 * the write resolves (so `await put…()` then a read sees it, as with SQLite); every other node
 * re-reads the record named in the message. All re-reads go over the one command connection and
 * are applied in reply order, so concurrent writers converge on what Redis holds. After the
 * subscriber reconnects, everything is reloaded and the differences applied, because messages
 * published meanwhile were lost.
 *
 * Reads are the same synchronous Map lookups as SqliteStore's; the record texts are kept too, so
 * a re-read that changes nothing fires nothing.
 */
export class RedisStore implements ConfigStore {
  readonly node: string;
  private texts: Snapshot = emptySnapshot();
  private apps = new Map<string, AppRecord>();
  private appsByName = new Map<string, AppRecord>();
  private tokens = new Map<string, TokenRecord>(); // by token value
  private tokensById = new Map<string, TokenRecord>();
  private domains = new Map<string, DomainRecord>();
  private keysByHash = new Map<string, ApiKeyRecord>();
  private keysById = new Map<string, ApiKeyRecord>();
  private drains = new Map<string, DrainRecord>();
  private services = new Map<string, AddonServiceRecord>();
  private addons = new Map<string, AddonRecord>();
  private settings = new Map<string, string>();
  private listeners = new Set<ChangeListener>();
  private closed = false;
  private offResubscribed: (() => void) | undefined;

  private constructor(
    private readonly redis: RedisLink,
    node: string,
  ) {
    this.node = node;
  }

  /** Loads the whole configuration, then follows changes. `redis` must be connected. */
  static async open(redis: RedisLink, opts: { node?: string } = {}): Promise<RedisStore> {
    const s = new RedisStore(redis, opts.node ?? newId());
    await redis.subscribe(channels.config, (m) => s.heard(m));
    s.applySnapshot(await s.load());
    s.offResubscribed = redis.onResubscribed(() => void s.resync());
    return s;
  }

  // ---- reads ---------------------------------------------------------------------------------

  getApp(idOrName: string): AppRecord | undefined {
    return this.apps.get(idOrName) ?? this.appsByName.get(idOrName);
  }
  listApps(): AppRecord[] {
    return [...this.apps.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  tokenByValue(token: string): TokenRecord | undefined {
    return this.tokens.get(token);
  }
  listTokens(appId: string): TokenRecord[] {
    return [...this.tokensById.values()].filter((t) => t.app_id === appId);
  }
  listDomains(appId: string): DomainRecord[] {
    return [...this.domains.values()].filter((d) => d.app_id === appId);
  }
  domainOwner(hostname: string): DomainRecord | undefined {
    return this.domains.get(hostname.toLowerCase());
  }
  apiKeyByHash(hash: string): ApiKeyRecord | undefined {
    return this.keysByHash.get(hash);
  }
  listApiKeys(): ApiKeyRecord[] {
    return [...this.keysById.values()];
  }
  getDrain(id: string): DrainRecord | undefined {
    return this.drains.get(id);
  }
  listDrains(appId?: string): DrainRecord[] {
    const all = [...this.drains.values()];
    return (appId === undefined ? all : all.filter((d) => d.app_id === appId)).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
  getAddonService(id: string): AddonServiceRecord | undefined {
    return this.services.get(id);
  }
  listAddonServices(): AddonServiceRecord[] {
    return [...this.services.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
  getAddon(idOrName: string): AddonRecord | undefined {
    const byId = this.addons.get(idOrName);
    if (byId) return byId;
    for (const a of this.addons.values()) if (a.name === idOrName) return a;
    return undefined;
  }
  listAddons(appId?: string): AddonRecord[] {
    const all = [...this.addons.values()];
    return (appId === undefined ? all : all.filter((a) => a.app_id === appId)).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
  getSetting(key: string): string | undefined {
    return this.settings.get(key);
  }

  // ---- writes --------------------------------------------------------------------------------

  async putApp(app: AppRecord): Promise<void> {
    // The name index is checked and written in one script, so two nodes creating the same name
    // at the same moment cannot both succeed (SQLite's UNIQUE, for a cluster).
    const ok = await this.redis.cmd.eval(
      PUT_APP,
      2,
      keys.appNames,
      keys.config('app'),
      app.id,
      app.name,
      JSON.stringify(app),
      channels.config,
      JSON.stringify({ n: this.node, k: 'app', i: app.id } satisfies ChangeMessage),
    );
    if (ok !== 1) throw new SluiceError('conflict', `Name ${app.name} is already taken.`);
    await this.reread('app', app.id, true);
  }

  async deleteApp(id: string): Promise<void> {
    const app = this.apps.get(id);
    if (!app) return;
    // What belongs to the app goes in the same MULTI, each with its own change message, so
    // every node removes exactly what Redis no longer holds; the app itself goes last.
    const gone: [Kind, string][] = [
      ...this.listTokens(id).map((t): [Kind, string] => ['token', t.id]),
      ...this.listDomains(id).map((d): [Kind, string] => ['domain', d.hostname]),
      ...this.listDrains(id).map((d): [Kind, string] => ['drain', d.id]),
      ...this.listAddons(id).map((a): [Kind, string] => ['addon', a.id]),
      ['app', id],
    ];
    await this.write(
      gone.map(([k, i]) => [k, i, undefined]),
      (m) => {
        m.hdel(keys.appNames, app.name);
        m.del(keys.history(id));
      },
    );
  }

  putToken(token: TokenRecord): Promise<void> {
    return this.write([['token', token.id, token]]);
  }
  deleteToken(id: string): Promise<void> {
    return this.write([['token', id, undefined]]);
  }
  putDomain(domain: DomainRecord): Promise<void> {
    return this.write([['domain', domain.hostname, domain]]);
  }
  deleteDomain(hostname: string): Promise<void> {
    return this.write([['domain', hostname, undefined]]);
  }
  putApiKey(key: ApiKeyRecord): Promise<void> {
    return this.write([['apikey', key.id, key]]);
  }
  deleteApiKey(id: string): Promise<void> {
    return this.write([['apikey', id, undefined]]);
  }
  putDrain(drain: DrainRecord): Promise<void> {
    return this.write([['drain', drain.id, drain]]);
  }
  deleteDrain(id: string): Promise<void> {
    return this.write([['drain', id, undefined]]);
  }
  putAddonService(service: AddonServiceRecord): Promise<void> {
    return this.write([['service', service.id, service]]);
  }
  deleteAddonService(id: string): Promise<void> {
    return this.write([['service', id, undefined]]);
  }
  putAddon(addon: AddonRecord): Promise<void> {
    return this.write([['addon', addon.id, addon]]);
  }
  deleteAddon(id: string): Promise<void> {
    return this.write([['addon', id, undefined]]);
  }
  putSetting(key: string, value: string): Promise<void> {
    return this.write([['setting', key, value]]);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following changes; the connections belong to the caller (server.ts closes them). */
  async close(): Promise<void> {
    this.closed = true;
    this.offResubscribed?.();
    this.listeners.clear();
  }

  // ---- replication ---------------------------------------------------------------------------

  private async write(
    changes: [Kind, string, unknown][],
    extra?: (m: ReturnType<RedisLink['cmd']['multi']>) => void,
  ): Promise<void> {
    const m = this.redis.cmd.multi();
    const texts = changes.map(([kind, , value]) =>
      value === undefined ? undefined : kind === 'setting' ? String(value) : JSON.stringify(value),
    );
    changes.forEach(([kind, id], i) => {
      const text = texts[i];
      if (text === undefined) m.hdel(keys.config(kind), id);
      else m.hset(keys.config(kind), id, text);
    });
    extra?.(m);
    for (const [kind, id] of changes) m.publish(channels.config, JSON.stringify({ n: this.node, k: kind, i: id } satisfies ChangeMessage));
    const res = await m.exec();
    const failed = res?.find(([err]) => err);
    if (!res || failed) throw failed?.[0] ?? new Error('redis transaction aborted');
    await Promise.all(changes.map(([kind, id]) => this.reread(kind, id, true)));
  }

  /**
   * Every mirror update, ours or another node's, is a read on the command connection applied in
   * its reply callback: replies come in order, so the last applied is the newest Redis held.
   */
  private reread(kind: Kind, id: string, force: boolean): Promise<void> {
    return this.redis.cmd.hget(keys.config(kind), id).then((text) => {
      if (!this.closed) this.apply(kind, id, text ?? undefined, force);
    });
  }

  /** A change message: another node's write is re-read here, in order with our own commands. */
  private heard(raw: string): void {
    let msg: ChangeMessage;
    try {
      msg = JSON.parse(raw) as ChangeMessage;
    } catch {
      return;
    }
    if (msg.n === this.node || !KINDS.includes(msg.k) || typeof msg.i !== 'string') return;
    this.reread(msg.k, msg.i, false).catch(() => {
      // Redis went away between the message and the read: the resync after reconnecting
      // brings this record (and anything else missed) up to date.
    });
  }

  private async load(): Promise<Snapshot> {
    const p = this.redis.cmd.pipeline();
    for (const k of KINDS) p.hgetall(keys.config(k));
    const res = (await p.exec()) ?? [];
    const snap = emptySnapshot();
    KINDS.forEach((k, i) => {
      const [err, value] = res[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      for (const [id, text] of Object.entries((value ?? {}) as Record<string, string>)) snap.get(k)?.set(id, text);
    });
    return snap;
  }

  private async resync(): Promise<void> {
    try {
      const snap = await this.load();
      if (!this.closed) this.applySnapshot(snap);
    } catch {
      // Still unreachable: the next reconnect tries again.
    }
  }

  /** Applies the differences between the mirror and a full load (listeners hear each one). */
  private applySnapshot(snap: Snapshot): void {
    for (const k of KINDS) {
      const now = snap.get(k) ?? new Map<string, string>();
      const before = this.texts.get(k) ?? new Map<string, string>();
      for (const id of [...before.keys()]) if (!now.has(id)) this.apply(k, id, undefined, false);
      for (const [id, text] of now) this.apply(k, id, text, false);
    }
  }

  /**
   * Makes the mirror hold `text` (undefined: nothing) for one record and tells listeners when
   * it changed; `force` (our own write) tells them anyway, as SqliteStore does on every write.
   */
  private apply(kind: Kind, id: string, text: string | undefined, force: boolean): void {
    const texts = this.texts.get(kind) as Map<string, string>;
    const changed = texts.get(id) !== text;
    if (changed) {
      if (text === undefined) texts.delete(id);
      else texts.set(id, text);
      this.index(kind, id, text);
    }
    if (kind !== 'setting' && (changed || force)) for (const l of this.listeners) l(kind, id);
  }

  private index(kind: Kind, id: string, text: string | undefined): void {
    switch (kind) {
      case 'app': {
        const old = this.apps.get(id);
        if (old) this.appsByName.delete(old.name);
        this.apps.delete(id);
        if (text !== undefined) {
          const a = JSON.parse(text) as AppRecord;
          this.apps.set(id, a);
          this.appsByName.set(a.name, a);
        }
        return;
      }
      case 'token': {
        const old = this.tokensById.get(id);
        if (old) this.tokens.delete(old.token);
        this.tokensById.delete(id);
        if (text !== undefined) {
          const t = JSON.parse(text) as TokenRecord;
          this.tokensById.set(id, t);
          this.tokens.set(t.token, t);
        }
        return;
      }
      case 'apikey': {
        const old = this.keysById.get(id);
        if (old) this.keysByHash.delete(old.hash);
        this.keysById.delete(id);
        if (text !== undefined) {
          const k = JSON.parse(text) as ApiKeyRecord;
          this.keysById.set(id, k);
          this.keysByHash.set(k.hash, k);
        }
        return;
      }
      case 'domain':
        return setOrDelete(this.domains, id, text);
      case 'drain':
        return setOrDelete(this.drains, id, text);
      case 'service':
        return setOrDelete(this.services, id, text);
      case 'addon':
        return setOrDelete(this.addons, id, text);
      case 'setting':
        if (text === undefined) this.settings.delete(id);
        else this.settings.set(id, text);
        return;
    }
  }
}

function setOrDelete<T>(map: Map<string, T>, id: string, text: string | undefined): void {
  if (text === undefined) map.delete(id);
  else map.set(id, JSON.parse(text) as T);
}

function emptySnapshot(): Snapshot {
  return new Map(KINDS.map((k) => [k, new Map<string, string>()]));
}

// KEYS: names, apps. ARGV: id, name, json, channel, message. 1 = written, 0 = name taken.
const PUT_APP = `
local owner = redis.call('HGET', KEYS[1], ARGV[2])
if owner and owner ~= ARGV[1] then return 0 end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then
  local oldName = cjson.decode(old)['name']
  if oldName ~= ARGV[2] then redis.call('HDEL', KEYS[1], oldName) end
end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
`;
