// Shared by the cluster tests: nodes on one 3-server NATS cluster, sessions opened on another node, live tails.
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { startSluice, makeFrame, rfc5424, type Sluice } from './helpers/sluice.js';
import { startNats, type TestNats } from './cluster-nats.js';

export interface Cluster {
  nats: TestNats;
  apiKey: string;
  nodes: Sluice[];
  /** Starts one more node on the same engine (also how a killed node is restarted, with its data dir). */
  add(opts?: { dataDir?: string }): Promise<Sluice>;
  stop(): Promise<void>;
}

/** `n` Sluice nodes on a fresh 3-server NATS cluster; `args` go to every node. */
export async function startCluster(t: TestContext, n: number, args: string[] = []): Promise<Cluster | undefined> {
  const nats = await startNats(t);
  if (!nats) return undefined;
  const apiKey = `sk_test_${randomUUID().replace(/-/g, '')}`;
  const add = (o: { dataDir?: string } = {}): Promise<Sluice> => startSluice({ apiKey, dataDir: o.dataDir, args: ['--nats-url', nats.url, ...args] });
  // The first node forms the cluster; the others join it.
  const nodes = [await add()];
  nodes.push(...(await Promise.all(Array.from({ length: n - 1 }, () => add()))));
  return {
    nats,
    apiKey,
    nodes,
    add,
    stop: async () => {
      await Promise.all(nodes.map((s) => s.stop()));
      await nats.stop();
    },
  };
}

/** A frame for POST /logs: `<190>1 … host TOKEN PROCID - - MSG`. */
export const frame = (token: string, procid: string, msg: string): string => makeFrame(rfc5424(token, procid, msg));

/** Creates a log session through `on` and returns its URL pointed at node `at` instead. */
export async function sessionUrl(on: Sluice, at: Sluice, app: string, body: Record<string, unknown>): Promise<string> {
  const s = await on.api('POST', `/apps/${app}/log-sessions`, body);
  if (s.status !== 201) throw new Error(`POST log-sessions on ${on.url}: ${s.status} ${JSON.stringify(s.body)}`);
  const u = new URL(String(s.body.logplex_url));
  return `${at.url}${u.pathname}${u.search}`;
}

/** Reads a whole (non-tail) session's text lines, bounded. */
export async function readAll(url: string): Promise<string[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  return text.split('\n').filter((l) => l !== '');
}

export interface Tail {
  text(): string;
  /** Waits (bounded) until the text includes `needle`; false on timeout. */
  waitFor(needle: string, timeoutMs?: number): Promise<boolean>;
  close(): void;
}

export async function openTail(url: string): Promise<Tail> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  let text = '';
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += dec.decode(value, { stream: true });
      }
    } catch {
      /* closed */
    }
  })();
  return {
    text: () => text,
    async waitFor(needle, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(needle) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return text.includes(needle);
    },
    close: () => ac.abort(),
  };
}

/** Retries `f` until it returns true or `timeoutMs` passes (the SPEC's "within a second"). */
export async function within(timeoutMs: number, f: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await f()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}
