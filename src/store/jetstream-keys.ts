// Key layout of the cluster configuration bucket: records, create-only claims, and the cluster identity.
import { createHash } from 'node:crypto';
import { KINDS, type Kind } from './mirror.js';

/** The KV bucket holding the configuration (its stream is `KV_sluice_config`). */
export const CONFIG_BUCKET = 'sluice_config';

/** Written once, create-only, when a cluster is first formed; every node remembers it. */
export const IDENTITY_KEY = 'cluster.id';

/**
 * Claims are create-only keys whose value is the id of the record holding them: the name of an
 * app, a token value, a drain URL of an app, one of an app's drain slots. `create` lets exactly
 * one writer make a key, so a rule checked by a claim holds across nodes.
 */
export const claims = {
  appName: (name: string): string => `claim.appname.${enc(name)}`,
  token: (value: string): string => `claim.token.${enc(value)}`,
  drainUrl: (appId: string, normalUrl: string): string =>
    `claim.drainurl.${enc(appId)}.${createHash('sha256').update(normalUrl).digest('hex').slice(0, 40)}`,
  drainSlotPrefix: (appId: string): string => `claim.drainslot.${enc(appId)}.`,
  drainSlot: (appId: string, n: number): string => `claim.drainslot.${enc(appId)}.${n}`,
} as const;

export const recordKey = (kind: Kind, id: string): string => `${kind}.${enc(id)}`;

/** `{kind, id}` for a record key, `undefined` for claims, the identity and anything unknown. */
export function parseRecordKey(key: string): { kind: Kind; id: string } | undefined {
  const dot = key.indexOf('.');
  if (dot <= 0) return undefined;
  const kind = key.slice(0, dot) as Kind;
  if (!KINDS.includes(kind)) return undefined;
  return { kind, id: dec(key.slice(dot + 1)) };
}

const SAFE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Ids, names and hostnames go in as they are (readable with `nats kv ls`); anything else base64url behind `=`. */
export function enc(s: string): string {
  return SAFE.test(s) ? s : `=${Buffer.from(s).toString('base64url')}`;
}

export function dec(s: string): string {
  return s.startsWith('=') ? Buffer.from(s.slice(1), 'base64url').toString() : s;
}
