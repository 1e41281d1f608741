// The in-memory copy of a networked configuration store: record texts by kind and id, and the indexes reads use.
import type { ChangeKind } from './contract.js';
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
export type Kind = ChangeKind | 'setting';
export const KINDS: readonly Kind[] = ['app', 'token', 'domain', 'apikey', 'drain', 'service', 'addon', 'setting'];

/**
 * Reads are the same synchronous Map lookups as SqliteStore's. The record texts are kept too,
 * so applying a text that changes nothing reports nothing (a re-delivered watch entry).
 */
export class ConfigMirror {
  private texts = new Map<Kind, Map<string, string>>(KINDS.map((k) => [k, new Map<string, string>()]));
  readonly apps = new Map<string, AppRecord>();
  readonly appsByName = new Map<string, AppRecord>();
  readonly tokens = new Map<string, TokenRecord>(); // by token value
  readonly tokensById = new Map<string, TokenRecord>();
  readonly domains = new Map<string, DomainRecord>();
  readonly keysByHash = new Map<string, ApiKeyRecord>();
  readonly keysById = new Map<string, ApiKeyRecord>();
  readonly drains = new Map<string, DrainRecord>();
  readonly services = new Map<string, AddonServiceRecord>();
  readonly addons = new Map<string, AddonRecord>();
  readonly settings = new Map<string, string>();

  has(kind: Kind, id: string): boolean {
    return this.texts.get(kind)?.has(id) ?? false;
  }

  ids(kind: Kind): string[] {
    return [...(this.texts.get(kind)?.keys() ?? [])];
  }

  /** Makes the mirror hold `text` (undefined: nothing) for one record; true when that changed it. */
  apply(kind: Kind, id: string, text: string | undefined): boolean {
    const texts = this.texts.get(kind) as Map<string, string>;
    if (texts.get(id) === text) return false;
    if (text === undefined) texts.delete(id);
    else texts.set(id, text);
    this.index(kind, id, text);
    return true;
  }

  private index(kind: Kind, id: string, text: string | undefined): void {
    switch (kind) {
      case 'app':
        return reindex(this.apps, this.appsByName, (r) => r.name, id, text);
      case 'token':
        return reindex(this.tokensById, this.tokens, (r) => r.token, id, text);
      case 'apikey':
        return reindex(this.keysById, this.keysByHash, (r) => r.hash, id, text);
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

/**
 * A record kept by id and by a second key (app name, token value, key hash). The old key is
 * removed only while it still points at this record: another record may have taken it since.
 */
function reindex<T extends { id: string }>(byId: Map<string, T>, byKey: Map<string, T>, keyOf: (r: T) => string, id: string, text: string | undefined): void {
  const old = byId.get(id);
  if (old && byKey.get(keyOf(old))?.id === id) byKey.delete(keyOf(old));
  byId.delete(id);
  if (text === undefined) return;
  const r = JSON.parse(text) as T;
  byId.set(id, r);
  byKey.set(keyOf(r), r);
}

function setOrDelete<T>(map: Map<string, T>, id: string, text: string | undefined): void {
  if (text === undefined) map.delete(id);
  else map.set(id, JSON.parse(text) as T);
}
