// The cluster configuration store: a replicated JetStream KV bucket, mirrored in memory, rules held by create-only claims.
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { newId } from '../core/ids.js';
import { ExpiringSet } from '../core/expiring-set.js';
import { isWrongLastSequence, type NatsLink } from '../engine/nats/link.js';
import { judgeIdentity, rememberIdentity, rememberedIdentity } from '../engine/nats/identity.js';
import type { Logger } from '../telemetry/logger.js';
import type { ConfigStore } from './contract.js';
import { CONFIG_BUCKET, IDENTITY_KEY, claims, recordKey } from './jetstream-keys.js';
import { MirrorReads } from './mirror-reads.js';
import type { Kind } from './mirror.js';
import type { AddonRecord, AddonServiceRecord, ApiKeyRecord, AppRecord, DomainRecord, DrainRecord, TokenRecord } from './records.js';
import { domainInUse, drainExists, drainLimit, nameTaken, normalDrainUrl, tokenTaken, type DrainRules } from './rules.js';
import { ConfigFollower } from './jetstream-follow.js';

export interface JetStreamStoreOptions {
  link: NatsLink;
  /** Where the node remembers the cluster identity. */
  dataDir: string;
  logger: Logger;
  /** How often the identity (and so the engine's health) is checked; default 1 s. */
  probeMs?: number;
}

/**
 * History 1; no direct gets: a direct get may be answered by a replica that has not applied the
 * newest write yet, and a claim's read-back must see the leader's value.
 */
const CONFIG_BUCKET_OPTIONS = { history: 1, allow_direct: false };

/** A claim older than this whose record is gone was left by a node that died mid-write. */
const STALE_CLAIM_MS = 30_000;

/**
 * Every record is a key (`app.<id>`, `drain.<id>`, …) in one R3 bucket with history 1. Each
 * node mirrors the whole bucket through a KV watch (`jetstream-follow.ts`), so reads are
 * synchronous Map lookups and a change made anywhere reaches every node within milliseconds.
 * A node's own write is applied to its mirror as soon as the engine acknowledges it (read your
 * writes); the watch later delivers the same revision, which changes nothing.
 *
 * Rules are claims (`jetstream-keys.ts`) made with `create` before the record is written; a
 * losing create rejects with the same SluiceError the embedded store raises, and claims
 * already made by the losing write are removed again.
 *
 * The engine is followed only while it holds this cluster's identity: an engine that comes
 * back empty or with another id is never applied (no app is dropped because the engine forgot
 * it); the node keeps serving its mirror, refuses changes with 503 and `/healthz` says why.
 */
export class JetStreamStore extends MirrorReads implements ConfigStore {
  private readonly link: NatsLink;
  private kv: KV | undefined;
  private follower: ConfigFollower | undefined;
  private identity: string | undefined;
  private probe: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private closed = false;
  /**
   * Holders of claims this node asked for in requests it then refused (the engine did not
   * answer): no record is ever written for them, so a claim they hold is this node's to reuse.
   * Without this, a client retrying a refused `apps:create` got "name taken" for STALE_CLAIM_MS.
   * Kept that long only (then `stale` frees such a claim anyway), and at most 10,000 of them: a
   * long outage refusing every create must not grow this without bound.
   */
  private readonly refusedHolders = new ExpiringSet(STALE_CLAIM_MS, 10_000);

  private constructor(private readonly o: JetStreamStoreOptions) {
    super();
    this.link = o.link;
  }

  static async open(o: JetStreamStoreOptions): Promise<JetStreamStore> {
    const s = new JetStreamStore(o);
    await s.establish();
    s.probe = setInterval(() => {
      // One probe at a time: a resync may take longer than the interval.
      if (s.checking) return;
      s.checking = s.check().finally(() => (s.checking = undefined));
    }, o.probeMs ?? 1_000);
    s.probe.unref();
    return s;
  }

  /** The cluster id this node serves (undefined only while it refuses the engine it found). */
  get clusterId(): string | undefined {
    return this.identity;
  }

  // ---- writes --------------------------------------------------------------------------------

  async putApp(app: AppRecord): Promise<void> {
    const old = this.mirror.apps.get(app.id);
    const renamed = old === undefined || old.name !== app.name;
    if (renamed && !(await this.claim(claims.appName(app.name), app.id))) throw nameTaken(app.name);
    await this.undoing(renamed ? [claims.appName(app.name)] : [], () => this.put('app', app.id, app));
    if (old && renamed) await this.remove(claims.appName(old.name));
  }

  async deleteApp(id: string): Promise<void> {
    const app = this.mirror.apps.get(id);
    if (!app) return;
    await Promise.all([
      ...this.listTokens(id).map((t) => this.deleteToken(t.id)),
      ...this.listDomains(id).map((d) => this.deleteDomain(d.hostname)),
      ...this.listDrains(id).map((d) => this.deleteDrain(d.id)),
      ...this.listAddons(id).map((a) => this.deleteAddon(a.id)),
    ]);
    await this.del('app', id);
    await this.remove(claims.appName(app.name));
  }

  async putToken(token: TokenRecord): Promise<void> {
    const old = this.mirror.tokensById.get(token.id);
    const fresh = old === undefined || old.token !== token.token;
    if (fresh && !(await this.claim(claims.token(token.token), token.id))) throw tokenTaken();
    await this.undoing(fresh ? [claims.token(token.token)] : [], () => this.put('token', token.id, token));
    if (old && fresh) await this.remove(claims.token(old.token));
  }

  async addToken(token: TokenRecord): Promise<boolean> {
    if (this.mirror.tokensById.has(token.id)) return false;
    const valueClaim = claims.token(token.token);
    if (!(await this.claim(valueClaim, token.id))) throw tokenTaken();
    // The record's own key made with `create`: a record another node wrote (and this one has not
    // mirrored yet) stays, and the claim on this attempt's value goes again.
    const key = recordKey('token', token.id);
    const text = JSON.stringify(token);
    let rev: number | undefined;
    await this.undoing([valueClaim], async () => {
      rev = await this.create(key, text);
      // Read back, as claims are: on nats-server 2.9 a create that lost a close race may still answer.
      if (rev !== undefined && (await this.get(key))?.string() !== text) rev = undefined;
    });
    if (rev === undefined) {
      await this.remove(valueClaim);
      return false;
    }
    this.applied(key, text, rev);
    return true;
  }

  async deleteToken(id: string): Promise<void> {
    const t = this.mirror.tokensById.get(id);
    await this.del('token', id);
    if (t) await this.remove(claims.token(t.token));
  }

  async putDomain(domain: DomainRecord): Promise<void> {
    // The record's own key is the claim: a hostname has one key, made by one create.
    const key = recordKey('domain', domain.hostname);
    const text = JSON.stringify(domain);
    const rev = await this.create(key, text);
    if (rev !== undefined) return this.applied(key, text, rev);
    const holder = await this.get(key);
    const owner = holder ? (JSON.parse(holder.string()) as DomainRecord).app_id : undefined;
    if (owner !== domain.app_id) throw domainInUse(domain.hostname);
    await this.put('domain', domain.hostname, domain);
  }

  deleteDomain(hostname: string): Promise<void> {
    return this.del('domain', hostname);
  }

  async putDrain(drain: DrainRecord, rules?: DrainRules): Promise<void> {
    if (!rules || this.mirror.drains.has(drain.id)) return this.put('drain', drain.id, drain);
    const appName = this.mirror.apps.get(drain.app_id)?.name ?? drain.app_id;
    const urlClaim = claims.drainUrl(drain.app_id, normalDrainUrl(drain.url));
    if (!(await this.claim(urlClaim, drain.id))) throw drainExists(appName, drain.url);
    await this.undoing([urlClaim], async () => {
      const slot = await this.claimSlot(drain, rules.maxPerApp);
      if (slot === undefined) throw drainLimit(rules.maxPerApp, appName);
      await this.undoing([slot], () => this.put('drain', drain.id, drain));
    });
  }

  async deleteDrain(id: string): Promise<void> {
    const d = this.mirror.drains.get(id);
    await this.del('drain', id);
    if (d) await Promise.all(this.claimsHeldBy(id).map((k) => this.remove(k)));
  }

  putApiKey(key: ApiKeyRecord): Promise<void> {
    return this.put('apikey', key.id, key);
  }
  deleteApiKey(id: string): Promise<void> {
    return this.del('apikey', id);
  }
  putAddonService(service: AddonServiceRecord): Promise<void> {
    return this.put('service', service.id, service);
  }
  deleteAddonService(id: string): Promise<void> {
    return this.del('service', id);
  }
  putAddon(addon: AddonRecord): Promise<void> {
    return this.put('addon', addon.id, addon);
  }
  deleteAddon(id: string): Promise<void> {
    return this.del('addon', id);
  }
  putSetting(key: string, value: string): Promise<void> {
    return this.put('setting', key, value);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probe);
    this.follower?.stop();
    this.listeners.clear();
  }

  // ---- claims --------------------------------------------------------------------------------

  /**
   * Makes `key` hold `owner` unless it holds someone else. The create is read back: the
   * server's expected-sequence check is a pre-check on nats-server 2.9 (nats-server#4320), so
   * a create that lost a race by microseconds is caught here rather than believed.
   */
  private async claim(key: string, owner: string): Promise<boolean> {
    let rev: number | undefined;
    let now: KvEntry | null;
    try {
      rev = await this.create(key, owner);
      now = await this.get(key);
    } catch (err) {
      // The create may still land once the engine answers again; the request is refused either way.
      this.refusedHolders.add(owner);
      throw err;
    }
    if (rev !== undefined) {
      if (now !== null && now.string() !== owner) return false; // overwritten by a racing create: theirs
      this.applied(key, owner, now?.revision ?? rev);
      return true;
    }
    if (now?.string() === owner) return true;
    if (now && (this.refusedHolders.has(now.string()) || this.stale(now))) {
      // Left by a request this node refused, or by a node that died between its claim and its
      // record: freed, then claimed anew.
      this.o.logger.warn({ key }, 'removing a claim whose record was never written');
      await this.remove(key);
      return this.claim(key, owner);
    }
    return false;
  }

  private stale(e: KvEntry): boolean {
    if (Date.now() - e.created.getTime() < STALE_CLAIM_MS) return false;
    const holder = e.string();
    const m = this.mirror;
    return !(m.apps.has(holder) || m.tokensById.has(holder) || m.drains.has(holder));
  }

  /** The first free slot of the app's `max`; slots known to be held by live drains are skipped. */
  private async claimSlot(drain: DrainRecord, max: number): Promise<string | undefined> {
    for (let n = 0; n < max; n++) {
      const key = claims.drainSlot(drain.app_id, n);
      const holder = this.claimValues.get(key);
      if (holder !== undefined && this.mirror.drains.has(holder)) continue;
      if (await this.claim(key, drain.id)) return key;
    }
    return undefined;
  }

  private claimsHeldBy(id: string): string[] {
    return [...this.claimValues].filter(([, v]) => v === id).map(([k]) => k);
  }

  /** Runs `f`; if it throws, the claims made for it are removed (best effort) before rethrowing. */
  private async undoing(made: string[], f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (err) {
      await Promise.all(made.map((k) => this.remove(k).catch(() => {})));
      throw err;
    }
  }

  // ---- engine calls --------------------------------------------------------------------------

  private bucket(): KV {
    this.link.guard();
    if (!this.kv) throw this.link.unavailable();
    return this.kv;
  }

  private async put(kind: Kind, id: string, value: unknown): Promise<void> {
    const key = recordKey(kind, id);
    const text = kind === 'setting' ? String(value) : JSON.stringify(value);
    const rev = await this.link.call(this.bucket().put(key, text), `write ${kind}`);
    this.applied(key, text, rev);
  }

  private async del(kind: Kind, id: string): Promise<void> {
    await this.remove(recordKey(kind, id));
  }

  private async remove(key: string): Promise<void> {
    await this.link.call(this.bucket().delete(key), 'delete');
    this.applied(key, undefined, (this.revs.get(key) ?? 0) + 0.5);
  }

  /** The revision made, or undefined when the key exists already. */
  private async create(key: string, text: string): Promise<number | undefined> {
    try {
      return await this.link.call(this.bucket().create(key, text), 'create');
    } catch (err) {
      if (isWrongLastSequence(err)) return undefined;
      throw err;
    }
  }

  private async get(key: string): Promise<KvEntry | null> {
    const e = await this.link.call(this.bucket().get(key), 'read');
    return e && e.operation === 'PUT' ? e : null;
  }

  /** Our own write, acknowledged: into the mirror now, and listeners hear it even if unchanged. */
  private applied(key: string, text: string | undefined, rev: number): void {
    this.applyEntry(key, text, rev, true);
  }

  // ---- following the engine ------------------------------------------------------------------

  /** Finds (or forms) the cluster, then mirrors it; refuses an empty or foreign engine. */
  private async establish(): Promise<void> {
    const { link, dataDir, logger } = this.o;
    const remembered = rememberedIdentity(dataDir);
    const exists = await streamExists(link, `KV_${CONFIG_BUCKET}`);
    const kv = exists || remembered === undefined ? await link.call(new Kvm(link.parts.js).create(CONFIG_BUCKET, { ...CONFIG_BUCKET_OPTIONS, replicas: link.replicas }), 'open the configuration bucket') : undefined;
    this.kv = kv;
    const engineId = kv ? ((await link.call(kv.get(IDENTITY_KEY), 'read the cluster identity'))?.string() || undefined) : undefined;
    const verdict = judgeIdentity(remembered, engineId);
    if (verdict.create && kv) {
      const id = newId();
      const made = await this.create(IDENTITY_KEY, id);
      this.identity = made === undefined ? (await this.get(IDENTITY_KEY))?.string() : id;
      logger.info({ cluster: this.identity }, made === undefined ? 'joined the cluster another node formed a moment ago' : 'formed a new cluster on an empty engine');
    } else if (verdict.adopt) {
      this.identity = verdict.adopt;
      logger.info({ cluster: this.identity }, 'joined the cluster');
    } else if (verdict.state === 'ok') {
      this.identity = remembered;
    } else {
      this.refuse(verdict.state, remembered, engineId);
      return;
    }
    if (this.identity === undefined) throw new Error('the cluster identity could not be read back');
    rememberIdentity(dataDir, this.identity);
    await this.follow();
  }

  /** (Re)starts the watch; resolves once the mirror holds everything the bucket held. */
  private async follow(): Promise<void> {
    this.follower?.stop();
    if (!this.kv) return;
    const f = new ConfigFollower(this.kv, (e) => {
      // Entries still flowing while calls time out are the engine's own; only a refused engine is ignored.
      if (this.follower === f && this.link.state !== 'empty' && this.link.state !== 'foreign') this.applyEntry(e.key, e.operation === 'PUT' ? e.string() : undefined, e.revision, false);
    });
    this.follower = f;
    const snapshot = await f.start(this.link.timeoutMs * 5);
    if (this.follower !== f || this.closed) return;
    // What the bucket no longer holds goes from the mirror too (missed while disconnected).
    // Keys newer than the snapshot were written since (live entries, our own writes): kept.
    let newest = 0;
    for (const e of snapshot.values()) newest = Math.max(newest, e.revision);
    for (const key of this.knownKeys()) {
      const rev = this.revs.get(key) ?? 0;
      if (!snapshot.has(key) && rev <= newest) this.applyEntry(key, undefined, rev + 0.5, false);
    }
    for (const [key, e] of snapshot) this.applyEntry(key, e.operation === 'PUT' ? e.string() : undefined, e.revision, false);
  }

  /** The periodic probe: is the engine answering, and is it still this cluster? */
  private async check(): Promise<void> {
    if (this.closed) return;
    const { link } = this.o;
    const before = link.state;
    let engineId: string | undefined;
    try {
      if (!(await streamExists(link, `KV_${CONFIG_BUCKET}`))) engineId = undefined;
      else {
        this.kv ??= await link.call(new Kvm(link.parts.js).open(CONFIG_BUCKET, { allow_direct: false }), 'open the configuration bucket');
        engineId = (await link.call(this.kv.get(IDENTITY_KEY), 'read the cluster identity'))?.string() || undefined;
      }
    } catch {
      if (before !== 'unreachable') this.o.logger.warn({ reason: link.reason }, 'the cluster engine is not answering: configuration changes answer 503, input goes on');
      return; // link.call marked it unreachable
    }
    const remembered = this.identity ?? rememberedIdentity(this.o.dataDir);
    const verdict = judgeIdentity(remembered, engineId);
    if (verdict.state !== 'ok') return this.refuse(verdict.state, remembered, engineId);
    if (verdict.create || verdict.adopt) return; // never remembered anything: nothing to check against
    if (before !== 'ok') {
      // Back: everything missed meanwhile is read again before changes are accepted.
      try {
        await this.follow();
      } catch (err) {
        this.o.logger.warn({ err: String(err) }, 'the cluster engine answers again but the resync failed; retrying');
        return;
      }
      this.identity = remembered;
      link.set('ok');
      this.o.logger.info({ cluster: remembered, was: before }, 'the cluster engine is back: following it again');
    }
  }

  private refuse(state: 'empty' | 'foreign' | 'unreachable', remembered: string | undefined, engineId: string | undefined): void {
    if (this.o.link.state !== state) {
      this.o.logger.error(
        { state, cluster: remembered, engine_cluster: engineId ?? null, apps_kept: this.mirror.apps.size },
        state === 'empty'
          ? 'REFUSING the cluster engine: it holds no cluster (wiped or a new server set); keeping this node\'s configuration, changes answer 503 until the engine is restored'
          : 'REFUSING the cluster engine: it belongs to another cluster; keeping this node\'s configuration, changes answer 503',
      );
    }
    this.follower?.stop();
    this.follower = undefined;
    this.o.link.set(state, state);
  }
}

async function streamExists(link: NatsLink, name: string): Promise<boolean> {
  try {
    await link.call(link.parts.jsm.streams.info(name), 'look up a stream');
    return true;
  } catch (err) {
    const e = err as { code?: number; api_error?: { err_code?: number }; message?: string };
    if (e?.api_error?.err_code === 10059 || /stream not found/i.test(e?.message ?? '')) return false;
    throw err;
  }
}
