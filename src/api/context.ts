// What every route handler gets: the request, its parameters, the caller, and the services.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { History } from '../history/contract.js';
import type { Router } from '../router/router.js';
import type { ConfigStore } from '../store/contract.js';
import type { TailHub } from '../tail/hub.js';
import type { SessionRegistry } from '../tail/sessions.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { DrainManager } from '../drains/manager.js';
import type { SelfListeners } from '../drains/url.js';
import type { Provisioner } from '../addons/provisioning.js';
import type { Auth, Principal } from './auth.js';

export interface ApiConfig {
  /** Base of URLs handed out (`logplex_url`, `log_input_url`). */
  publicUrl: string;
  version: string;
  /** When set, `GET /metrics` needs this bearer token (`--metrics-auth`). */
  metricsToken?: string;
}

export interface ApiDeps {
  store: ConfigStore;
  history: History;
  router: Router;
  sessions: SessionRegistry;
  hub: TailHub;
  auth: Auth;
  metrics: Metrics;
  config: ApiConfig;
  /** The add-on lifecycle (SPEC §6); routes under /addon-services, /apps/{app}/addons and /addons. */
  addons?: Provisioner;
  /** Drains (SPEC §5 log-drains, §8): delivery, health and the URL policy of this server. */
  drains?: {
    manager: DrainManager;
    /** `--deny-private-drains`: refuse loopback and private addresses too. */
    denyPrivate: boolean;
    /** `--max-drains-per-app` (default 10). */
    maxPerApp: number;
    /** Cluster mode: the drain's own health (the same on every node), instead of this node's worker. */
    health?: (drainId: string) => unknown;
    /** Resolve host names to check their addresses (default true). */
    resolve?: boolean;
    /** This node's own listeners, refused as drain targets (a drain to itself loops). */
    self?: () => SelfListeners;
  };
  /** Cluster mode: the engine's health, which `/healthz` reports (degraded when it is not ok). */
  engine?: () => { status: 'ok' | 'degraded'; engine: unknown };
  /** A session's history could not be read (the reader got an L15 line instead). */
  onHistoryError?: (appId: string, err: unknown) => void;
  /** Runs before an app is deleted (add-ons are deprovisioned, drains stopped). */
  beforeAppDelete?: (appId: string) => Promise<void>;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  deps: ApiDeps;
  /** The authenticated caller (throws 401 on first use when credentials are missing or wrong). */
  principal(): Principal;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

export interface RouteTable {
  on(method: string, path: string, handler: Handler): void;
}

/** A resource module registers its routes on the table; server.ts decides which modules exist. */
export type RouteModule = (routes: RouteTable) => void;
