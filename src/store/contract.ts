// The configuration store contract: synchronous reads from memory, writes that may be remote.
import type {
  AddonRecord,
  AddonServiceRecord,
  ApiKeyRecord,
  AppRecord,
  DomainRecord,
  DrainRecord,
  TokenRecord,
} from './records.js';
import type { DrainRules } from './rules.js';

export type ChangeKind = 'app' | 'token' | 'domain' | 'apikey' | 'drain' | 'addon' | 'service';

/** Told after every write, on every node, so caches and drain workers follow the configuration. */
export type ChangeListener = (kind: ChangeKind, id: string) => void;

/**
 * Reads are synchronous because the hot path (token → app) must never wait; implementations
 * keep the whole configuration in memory. Writes return promises so that a networked store
 * (JetStream, cluster mode) fits the same contract; the embedded SQLite store resolves them at once.
 *
 * The store itself enforces the uniqueness rules (app names, token values, domains, and with
 * `DrainRules` a drain URL per app and the drains-per-app limit): a losing write rejects with
 * the SluiceError of `rules.ts` (409 conflict, 422 for the limit), so that two cluster nodes
 * writing at the same moment can never both win. A networked store rejects with
 * SluiceError('unavailable') (503) when its engine cannot answer in time.
 */
export interface ConfigStore {
  getApp(idOrName: string): AppRecord | undefined;
  listApps(): AppRecord[];
  /** Rejects with `nameTaken` when another app has the name. */
  putApp(app: AppRecord): Promise<void>;
  /** Removes the app and everything that belongs to it (tokens, domains, drains). */
  deleteApp(id: string): Promise<void>;

  tokenByValue(token: string): TokenRecord | undefined;
  listTokens(appId: string): TokenRecord[];
  /** Rejects with `tokenTaken` when another token has the value. */
  putToken(token: TokenRecord): Promise<void>;
  /**
   * Stores a token under an id not used yet; false, storing nothing, when a token with that id
   * exists (the repeat of an idempotent create keeps the token the first attempt made, even
   * where this node has not heard of it yet). Rejects with `tokenTaken` like putToken.
   */
  addToken(token: TokenRecord): Promise<boolean>;
  deleteToken(id: string): Promise<void>;

  listDomains(appId: string): DomainRecord[];
  domainOwner(hostname: string): DomainRecord | undefined;
  /** Rejects with `domainInUse` when another app owns the hostname. */
  putDomain(domain: DomainRecord): Promise<void>;
  deleteDomain(hostname: string): Promise<void>;

  apiKeyByHash(hash: string): ApiKeyRecord | undefined;
  listApiKeys(): ApiKeyRecord[];
  putApiKey(key: ApiKeyRecord): Promise<void>;
  deleteApiKey(id: string): Promise<void>;

  getDrain(id: string): DrainRecord | undefined;
  listDrains(appId?: string): DrainRecord[];
  /** With `rules` (a user's new drain): rejects with `drainExists` or `drainLimit`. */
  putDrain(drain: DrainRecord, rules?: DrainRules): Promise<void>;
  deleteDrain(id: string): Promise<void>;

  getAddonService(id: string): AddonServiceRecord | undefined;
  listAddonServices(): AddonServiceRecord[];
  putAddonService(service: AddonServiceRecord): Promise<void>;
  deleteAddonService(id: string): Promise<void>;

  /** By id or name. */
  getAddon(idOrName: string): AddonRecord | undefined;
  listAddons(appId?: string): AddonRecord[];
  putAddon(addon: AddonRecord): Promise<void>;
  deleteAddon(id: string): Promise<void>;

  /** Small settings that must survive restarts (e.g. whether an admin key was generated). */
  getSetting(key: string): string | undefined;
  putSetting(key: string, value: string): Promise<void>;

  onChange(listener: ChangeListener): () => void;
  close(): Promise<void>;
}
