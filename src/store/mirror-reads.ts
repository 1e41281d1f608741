// The read half of a mirrored ConfigStore, and applying engine entries (key, text, revision) to the mirror.
import type { ChangeListener } from './contract.js';
import { IDENTITY_KEY, parseRecordKey } from './jetstream-keys.js';
import { ConfigMirror } from './mirror.js';
import type { AddonRecord, AddonServiceRecord, ApiKeyRecord, AppRecord, DomainRecord, DrainRecord, TokenRecord } from './records.js';

/**
 * Entries arrive from two places, a node's own acknowledged writes and the watch, in any order:
 * each key keeps the revision applied last and an older one is ignored, so the mirror converges
 * on what the engine holds. Claims are mirrored as plain values (which record holds which claim).
 */
export abstract class MirrorReads {
  protected readonly mirror = new ConfigMirror();
  protected readonly listeners = new Set<ChangeListener>();
  protected readonly revs = new Map<string, number>();
  protected readonly claimValues = new Map<string, string>();

  getApp(idOrName: string): AppRecord | undefined {
    return this.mirror.apps.get(idOrName) ?? this.mirror.appsByName.get(idOrName);
  }
  listApps(): AppRecord[] {
    return [...this.mirror.apps.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
  tokenByValue(token: string): TokenRecord | undefined {
    return this.mirror.tokens.get(token);
  }
  listTokens(appId: string): TokenRecord[] {
    return [...this.mirror.tokensById.values()].filter((t) => t.app_id === appId);
  }
  listDomains(appId: string): DomainRecord[] {
    return [...this.mirror.domains.values()].filter((d) => d.app_id === appId);
  }
  domainOwner(hostname: string): DomainRecord | undefined {
    return this.mirror.domains.get(hostname.toLowerCase());
  }
  apiKeyByHash(hash: string): ApiKeyRecord | undefined {
    return this.mirror.keysByHash.get(hash);
  }
  listApiKeys(): ApiKeyRecord[] {
    return [...this.mirror.keysById.values()];
  }
  getDrain(id: string): DrainRecord | undefined {
    return this.mirror.drains.get(id);
  }
  listDrains(appId?: string): DrainRecord[] {
    const all = [...this.mirror.drains.values()];
    return (appId === undefined ? all : all.filter((d) => d.app_id === appId)).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
  getAddonService(id: string): AddonServiceRecord | undefined {
    return this.mirror.services.get(id);
  }
  listAddonServices(): AddonServiceRecord[] {
    return [...this.mirror.services.values()].sort((a, b) => a.id.localeCompare(b.id));
  }
  getAddon(idOrName: string): AddonRecord | undefined {
    const byId = this.mirror.addons.get(idOrName);
    if (byId) return byId;
    for (const a of this.mirror.addons.values()) if (a.name === idOrName) return a;
    return undefined;
  }
  listAddons(appId?: string): AddonRecord[] {
    const all = [...this.mirror.addons.values()];
    return (appId === undefined ? all : all.filter((a) => a.app_id === appId)).sort((a, b) => a.created_at.localeCompare(b.created_at));
  }
  getSetting(key: string): string | undefined {
    return this.mirror.settings.get(key);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every key the mirror holds a value for (records and claims). */
  protected knownKeys(): string[] {
    return [...this.revs.keys()].filter((k) => k !== IDENTITY_KEY);
  }

  /**
   * `text` undefined: the key is gone. `force` (the node's own write): listeners hear it even if
   * the mirror already held it, as SqliteStore tells them of every write.
   */
  protected applyEntry(key: string, text: string | undefined, rev: number, force: boolean): void {
    const seen = this.revs.get(key);
    if (seen !== undefined && rev <= seen && !force) return;
    if (seen === undefined || rev > seen) this.revs.set(key, rev);
    else if (force) return this.tell(key);
    if (key.startsWith('claim.')) {
      if (text === undefined) this.claimValues.delete(key);
      else this.claimValues.set(key, text);
      return;
    }
    const r = parseRecordKey(key);
    if (!r) return;
    const changed = this.mirror.apply(r.kind, r.id, text);
    if (changed || force) this.tell(key);
  }

  private tell(key: string): void {
    const r = parseRecordKey(key);
    if (!r || r.kind === 'setting') return;
    for (const l of this.listeners) l(r.kind, r.id);
  }
}
