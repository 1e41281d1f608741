// The embedded configuration store: SQLite on disk, the whole configuration mirrored in memory.
import type { ChangeKind, ChangeListener, ConfigStore } from './contract.js';
import type {
  AddonRecord,
  AddonServiceRecord,
  ApiKeyRecord,
  AppRecord,
  DomainRecord,
  DrainRecord,
  TelemetryConfig,
  TokenRecord,
} from './records.js';
import type { Db } from './sqlite-db.js';
import { domainInUse, drainExists, drainLimit, nameTaken, normalDrainUrl, tokenTaken, type DrainRules } from './rules.js';

interface ApiKeyRow extends Omit<ApiKeyRecord, 'admin' | 'app_ids'> {
  admin: number;
  app_ids: string;
}

export class SqliteStore implements ConfigStore {
  private apps = new Map<string, AppRecord>();
  private appsByName = new Map<string, AppRecord>();
  private tokens = new Map<string, TokenRecord>(); // by token value
  private tokensById = new Map<string, TokenRecord>();
  private domains = new Map<string, DomainRecord>();
  private keys = new Map<string, ApiKeyRecord>(); // by hash
  private drains = new Map<string, DrainRecord>();
  private services = new Map<string, AddonServiceRecord>();
  private addons = new Map<string, AddonRecord>();
  private settings = new Map<string, string>();
  private listeners = new Set<ChangeListener>();

  constructor(private readonly db: Db) {
    for (const a of db.prepare('SELECT * FROM apps').all() as AppRecord[]) this.cacheApp(a);
    for (const t of db.prepare('SELECT * FROM tokens').all() as TokenRecord[]) this.cacheToken(t);
    for (const d of db.prepare('SELECT * FROM domains').all() as DomainRecord[]) this.domains.set(d.hostname, d);
    for (const k of db.prepare('SELECT * FROM api_keys').all() as ApiKeyRow[]) {
      this.keys.set(k.hash, { ...k, admin: k.admin === 1, app_ids: JSON.parse(k.app_ids) as string[] });
    }
    for (const row of db.prepare('SELECT * FROM drains').all() as (Omit<DrainRecord, 'telemetry'> & { telemetry: string | null })[]) {
      const { telemetry, ...d } = row;
      if (d.format === null) delete d.format; // a Heroku-format drain reads back as it was written
      this.drains.set(d.id, telemetry ? { ...d, telemetry: JSON.parse(telemetry) as TelemetryConfig } : d);
    }
    for (const sv of db.prepare('SELECT * FROM addon_services').all() as AddonServiceRecord[]) {
      this.services.set(sv.id, sv);
    }
    for (const a of db.prepare('SELECT * FROM addons').all() as (AddonRecord & { config_vars: string })[]) {
      this.addons.set(a.id, { ...a, config_vars: JSON.parse(a.config_vars) as Record<string, string> });
    }
    for (const s of db.prepare('SELECT * FROM settings').all() as { key: string; value: string }[]) {
      this.settings.set(s.key, s.value);
    }
  }

  getApp(idOrName: string): AppRecord | undefined {
    return this.apps.get(idOrName) ?? this.appsByName.get(idOrName);
  }

  listApps(): AppRecord[] {
    return [...this.apps.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async putApp(app: AppRecord): Promise<void> {
    // Checked against the mirror in the same synchronous step as the write: atomic on one node.
    const holder = this.appsByName.get(app.name);
    if (holder && holder.id !== app.id) throw nameTaken(app.name);
    this.db
      .prepare(
        `INSERT INTO apps (id, name, created_at, updated_at) VALUES (@id, @name, @created_at, @updated_at)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at`,
      )
      .run(app);
    const old = this.apps.get(app.id);
    if (old) this.appsByName.delete(old.name);
    this.cacheApp(app);
    this.emit('app', app.id);
  }

  async deleteApp(id: string): Promise<void> {
    const app = this.apps.get(id);
    if (!app) return;
    this.db.transaction(() => {
      for (const table of ['tokens', 'domains', 'drains', 'addons', 'history']) {
        this.db.prepare(`DELETE FROM ${table} WHERE app_id = ?`).run(id);
      }
      this.db.prepare('DELETE FROM apps WHERE id = ?').run(id);
    })();
    for (const t of this.listTokens(id)) this.uncacheToken(t);
    for (const d of this.listDomains(id)) this.domains.delete(d.hostname);
    for (const d of this.listDrains(id)) {
      this.drains.delete(d.id);
      this.emit('drain', d.id);
    }
    for (const a of this.listAddons(id)) {
      this.addons.delete(a.id);
      this.emit('addon', a.id);
    }
    this.apps.delete(id);
    this.appsByName.delete(app.name);
    this.emit('app', id);
  }

  tokenByValue(token: string): TokenRecord | undefined {
    return this.tokens.get(token);
  }

  listTokens(appId: string): TokenRecord[] {
    return [...this.tokensById.values()].filter((t) => t.app_id === appId);
  }

  async putToken(token: TokenRecord): Promise<void> {
    const holder = this.tokens.get(token.token);
    if (holder && holder.id !== token.id) throw tokenTaken();
    this.db
      .prepare(
        `INSERT OR REPLACE INTO tokens (id, app_id, name, token, created_at)
         VALUES (@id, @app_id, @name, @token, @created_at)`,
      )
      .run(token);
    this.cacheToken(token);
    this.emit('token', token.id);
  }

  async addToken(token: TokenRecord): Promise<boolean> {
    if (this.tokensById.has(token.id)) return false; // the database is this store's own: what it holds is all there is
    await this.putToken(token);
    return true;
  }

  async deleteToken(id: string): Promise<void> {
    const t = this.tokensById.get(id);
    if (!t) return;
    this.db.prepare('DELETE FROM tokens WHERE id = ?').run(id);
    this.uncacheToken(t);
    this.emit('token', id);
  }

  listDomains(appId: string): DomainRecord[] {
    return [...this.domains.values()].filter((d) => d.app_id === appId);
  }

  domainOwner(hostname: string): DomainRecord | undefined {
    return this.domains.get(hostname.toLowerCase());
  }

  async putDomain(domain: DomainRecord): Promise<void> {
    const holder = this.domains.get(domain.hostname);
    if (holder && holder.app_id !== domain.app_id) throw domainInUse(domain.hostname);
    this.db
      .prepare('INSERT OR REPLACE INTO domains (hostname, app_id, created_at) VALUES (@hostname, @app_id, @created_at)')
      .run(domain);
    this.domains.set(domain.hostname, domain);
    this.emit('domain', domain.hostname);
  }

  async deleteDomain(hostname: string): Promise<void> {
    this.db.prepare('DELETE FROM domains WHERE hostname = ?').run(hostname);
    this.domains.delete(hostname);
    this.emit('domain', hostname);
  }

  apiKeyByHash(hash: string): ApiKeyRecord | undefined {
    return this.keys.get(hash);
  }

  listApiKeys(): ApiKeyRecord[] {
    return [...this.keys.values()];
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO api_keys (id, name, hash, admin, app_ids, created_at)
         VALUES (@id, @name, @hash, @admin, @app_ids, @created_at)`,
      )
      .run({ ...key, admin: key.admin ? 1 : 0, app_ids: JSON.stringify(key.app_ids) });
    for (const [hash, k] of this.keys) if (k.id === key.id) this.keys.delete(hash);
    this.keys.set(key.hash, key);
    this.emit('apikey', key.id);
  }

  async deleteApiKey(id: string): Promise<void> {
    this.db.prepare('DELETE FROM api_keys WHERE id = ?').run(id);
    for (const [hash, k] of this.keys) if (k.id === id) this.keys.delete(hash);
    this.emit('apikey', id);
  }

  getDrain(id: string): DrainRecord | undefined {
    return this.drains.get(id);
  }

  listDrains(appId?: string): DrainRecord[] {
    const all = [...this.drains.values()];
    return (appId === undefined ? all : all.filter((d) => d.app_id === appId)).sort((a, b) =>
      a.created_at.localeCompare(b.created_at),
    );
  }

  async putDrain(drain: DrainRecord, rules?: DrainRules): Promise<void> {
    if (rules && !this.drains.has(drain.id)) {
      const appName = this.apps.get(drain.app_id)?.name ?? drain.app_id;
      const existing = this.listDrains(drain.app_id);
      if (existing.some((d) => normalDrainUrl(d.url) === normalDrainUrl(drain.url))) throw drainExists(appName, drain.url);
      if (existing.length >= rules.maxPerApp) throw drainLimit(rules.maxPerApp, appName);
    }
    this.db
      .prepare(
        `INSERT OR REPLACE INTO drains (id, app_id, token, url, addon_id, format, telemetry, created_at, updated_at)
         VALUES (@id, @app_id, @token, @url, @addon_id, @format, @telemetry, @created_at, @updated_at)`,
      )
      .run({ ...drain, format: drain.format ?? null, telemetry: drain.telemetry ? JSON.stringify(drain.telemetry) : null });
    this.drains.set(drain.id, drain);
    this.emit('drain', drain.id);
  }

  async deleteDrain(id: string): Promise<void> {
    this.db.prepare('DELETE FROM drains WHERE id = ?').run(id);
    this.drains.delete(id);
    this.emit('drain', id);
  }

  getAddonService(id: string): AddonServiceRecord | undefined {
    return this.services.get(id);
  }

  listAddonServices(): AddonServiceRecord[] {
    return [...this.services.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async putAddonService(service: AddonServiceRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO addon_services (id, name, manifest, created_at)
         VALUES (@id, @name, @manifest, @created_at)`,
      )
      .run(service);
    this.services.set(service.id, service);
    this.emit('service', service.id);
  }

  async deleteAddonService(id: string): Promise<void> {
    this.db.prepare('DELETE FROM addon_services WHERE id = ?').run(id);
    this.services.delete(id);
    this.emit('service', id);
  }

  getAddon(idOrName: string): AddonRecord | undefined {
    const byId = this.addons.get(idOrName);
    if (byId) return byId;
    for (const a of this.addons.values()) if (a.name === idOrName) return a;
    return undefined;
  }

  listAddons(appId?: string): AddonRecord[] {
    const all = [...this.addons.values()];
    return (appId === undefined ? all : all.filter((a) => a.app_id === appId)).sort((a, b) =>
      a.created_at.localeCompare(b.created_at),
    );
  }

  async putAddon(addon: AddonRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO addons (id, name, app_id, service_id, plan, state, config_vars, provider_id,
           drain_token, log_token_id, created_at, updated_at)
         VALUES (@id, @name, @app_id, @service_id, @plan, @state, @config_vars, @provider_id,
           @drain_token, @log_token_id, @created_at, @updated_at)`,
      )
      .run({ ...addon, config_vars: JSON.stringify(addon.config_vars) });
    this.addons.set(addon.id, addon);
    this.emit('addon', addon.id);
  }

  async deleteAddon(id: string): Promise<void> {
    this.db.prepare('DELETE FROM addons WHERE id = ?').run(id);
    this.addons.delete(id);
    this.emit('addon', id);
  }

  getSetting(key: string): string | undefined {
    return this.settings.get(key);
  }

  async putSetting(key: string, value: string): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(key, value);
    this.settings.set(key, value);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private emit(kind: ChangeKind, id: string): void {
    for (const l of this.listeners) l(kind, id);
  }

  private cacheApp(app: AppRecord): void {
    this.apps.set(app.id, app);
    this.appsByName.set(app.name, app);
  }

  private cacheToken(t: TokenRecord): void {
    const old = this.tokensById.get(t.id);
    if (old) this.tokens.delete(old.token);
    this.tokens.set(t.token, t);
    this.tokensById.set(t.id, t);
  }

  private uncacheToken(t: TokenRecord): void {
    this.tokens.delete(t.token);
    this.tokensById.delete(t.id);
  }
}
