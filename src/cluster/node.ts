// Cluster mode's parts of a node (SPEC §9): store, history, tails and sessions backed by Redis.
import { newId } from '../core/ids.js';
import { RedisHistory } from '../history/redis-history.js';
import { RedisStore } from '../store/redis-store.js';
import { SessionRegistry } from '../tail/sessions.js';
import { ClusterBus, ClusterTailHub } from './bus.js';
import { RedisLink } from '../store/redis-link.js';
import { RedisSessions } from './redis-sessions.js';

export interface ClusterParts {
  store: RedisStore;
  history: RedisHistory;
  hub: ClusterTailHub;
  sessions: SessionRegistry;
  cluster: { redis: RedisLink; bus: ClusterBus; history: RedisHistory };
}

/** Cluster mode (SPEC §9): everything shared lives in Redis; the data directory is not used. */
export async function clusterParts(url: string, log: (m: string) => void): Promise<ClusterParts> {
  const redis = new RedisLink(url, log);
  try {
    await redis.connect();
  } catch (err) {
    await redis.close();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const node = newId();
    const store = await RedisStore.open(redis, { node });
    const history = new RedisHistory(redis.cmd, {
      onError: (err) => log(`sluice: history write to Redis failed (lines wait, bounded; reads show L15 meanwhile): ${String(err)}`),
    });
    const hub = new ClusterTailHub();
    const bus = await new ClusterBus(redis, hub, { node, onError: (err) => log(`sluice: cluster tail bus: ${String(err)}`) }).start();
    const sessions = new SessionRegistry(undefined, new RedisSessions(redis.cmd, (appId) => bus.announce(appId)));
    return { store, history, hub, sessions, cluster: { redis, bus, history } };
  } catch (err) {
    await redis.close();
    throw new Error(`cannot load the cluster's state from Redis at ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A Redis URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the given URL';
  }
}

