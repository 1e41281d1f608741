// Cluster mode's parts of a node: store, history, tails and sessions on NATS JetStream, behind their contracts.
import { newId } from '../core/ids.js';
import { NatsLink, type LinkOptions } from '../engine/nats/link.js';
import { JetStreamHistory, ensureHistoryStream } from '../history/jetstream-history.js';
import { JetStreamStore } from '../store/jetstream-store.js';
import { NatsSessions } from '../tail/nats-sessions.js';
import { NatsTailHub } from '../tail/nats-tails.js';
import { SESSION_OPEN_WINDOW_MS, SessionRegistry } from '../tail/sessions.js';
import type { Logger } from '../telemetry/logger.js';
import { redactUrl } from '../core/redact.js';
import { DrainFeed, ensureDrainStream, type DrainStreamLimits } from './drain-feed.js';
import { openEngineSpools, type EngineSpools } from './engine-spools.js';
import { DrainHealthBoard } from './drain-health.js';
import { DrainOwnership } from './drain-owner.js';
import { SignalRelay } from './signal-relay.js';
import type { DrainManager } from '../drains/manager.js';

export interface ClusterParts {
  store: JetStreamStore;
  history: JetStreamHistory;
  hub: NatsTailHub;
  sessions: SessionRegistry;
  link: NatsLink;
  /** This node's id in the cluster (drain leases and health name it). */
  node: string;
  /** The router's subscriber for drains: every drained line, once, into the replicated drain stream. */
  feed: DrainFeed;
  /** Which drains this node delivers; started by server.ts once the drain manager exists. */
  ownership: DrainOwnership;
  /** Traces and metrics to telemetry drains owned by other nodes (made once the drain manager exists). */
  signals(drains: DrainManager): SignalRelay;
  /** The relay once made (for /metrics). */
  relay?: SignalRelay;
}

export interface ClusterOptions extends LinkOptions {
  dataDir: string;
  logger: Logger;
  /** How long a start waits for JetStream to answer (a fresh cluster elects its leaders first). */
  startTimeoutMs?: number;
  /** Bytes a drain may queue locally (half its memory budget): the rest waits, replicated, in the stream. */
  drainQueueBytes?: number;
  /** Bytes of input kept on this node's disk while the engine does not take it (default 1 GiB). */
  engineSpoolBytes?: number;
  drainStream?: DrainStreamLimits;
}

/** Connects, finds or forms the cluster, and builds the node's shared parts; rejects with a reason (no secrets). */
export async function clusterParts(o: ClusterOptions): Promise<ClusterParts> {
  const where = o.url.split(',').map((u) => redactUrl(u.trim())).join(',');
  let link: NatsLink;
  try {
    link = await NatsLink.open(o);
  } catch (err) {
    throw new Error(`cannot reach NATS at ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
  let spools: EngineSpools | undefined;
  for (;;) {
    let store: JetStreamStore | undefined;
    try {
      const node = newId();
      store = await JetStreamStore.open({ link, dataDir: o.dataDir, logger: o.logger });
      link.guard(); // an empty or foreign engine: no streams are made on it
      await ensureHistoryStream(link);
      spools ??= await openEngineSpools(o.dataDir, o.engineSpoolBytes, o.logger);
      const history = new JetStreamHistory(link, {
        node,
        spool: spools.history,
        onDrop: spools.onDrop,
        onError: (err) => o.logger.warn({ err: String(err) }, 'history write to the cluster engine failed: lines wait (bounded) and are retried'),
      });
      const hub = new NatsTailHub(link, node);
      const sessions = new SessionRegistry(
        SESSION_OPEN_WINDOW_MS,
        await NatsSessions.open(link, SESSION_OPEN_WINDOW_MS, (appId) => hub.prepare(appId)),
      );
      await ensureDrainStream(link, o.drainStream);
      const feed = new DrainFeed(link, store, {
        node,
        spool: spools.drains,
        onDrop: spools.onDrop,
        onError: (err) => o.logger.warn({ err: String(err) }, 'drain lines could not be stored in the cluster engine: they wait (bounded) and are retried'),
      });
      const ownership = new DrainOwnership(link, store, await DrainHealthBoard.open(link), { node, logger: o.logger, maxQueuedBytes: o.drainQueueBytes });
      const opened = store;
      const parts: ClusterParts = {
        store, history, hub, sessions, link, node, feed, ownership,
        signals: (drains) => (parts.relay = new SignalRelay(link, opened, drains, ownership.owns)),
      };
      return parts;
    } catch (err) {
      await store?.close();
      if (link.state === 'empty' || link.state === 'foreign' || Date.now() > deadline) {
        await link.close();
        throw new Error(`cannot join the cluster on NATS at ${where}: ${err instanceof Error ? err.message : String(err)}`);
      }
      link.set('ok');
      o.logger.info({ err: err instanceof Error ? err.message : String(err) }, 'waiting for NATS JetStream to answer');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
