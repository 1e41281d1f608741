// The cluster's identity: a create-once key in the engine, remembered by every node in its data directory.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineState } from './link.js';

const FILE = 'cluster-id';

/** The id this node has served before, if any. */
export function rememberedIdentity(dataDir: string): string | undefined {
  try {
    const id = readFileSync(join(dataDir, FILE), 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}

export function rememberIdentity(dataDir: string, id: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, FILE), `${id}\n`, { mode: 0o600 });
}

/**
 * What a node does with what it finds. The engine's id is `undefined` when it holds no
 * identity (never formed, or wiped):
 * - it remembers nothing and the engine has nothing: it forms the cluster (`create`);
 * - it remembers nothing and the engine has an id: it joins (`adopt`);
 * - it remembers an id the engine does not have: `empty` — refuse, never follow it;
 * - it remembers a different id: `foreign` — refuse.
 */
export function judgeIdentity(remembered: string | undefined, engine: string | undefined): { state: EngineState; create?: true; adopt?: string } {
  if (remembered === undefined) return engine === undefined ? { state: 'ok', create: true } : { state: 'ok', adopt: engine };
  if (engine === undefined) return { state: 'empty' };
  return engine === remembered ? { state: 'ok' } : { state: 'foreign' };
}
