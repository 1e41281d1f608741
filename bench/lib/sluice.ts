// Sluice under test: `sluice serve` as a separate process, driven only through its public API and ports.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startService, type Service } from './proc.js';
import { repoRoot } from './report.js';

/** The entry point started as `sluice`; SLUICE_BENCH_CLI points the bench at another build. */
export const CLI = process.env.SLUICE_BENCH_CLI ?? resolve(repoRoot, 'dist/src/cli/main.js');

/**
 * Extra node flags for the Sluice under test, split on spaces: `SLUICE_BENCH_NODE_FLAGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"` profiles every Sluice the bench starts (one .cpuprofile per process).
 */
export const NODE_FLAGS = (process.env.SLUICE_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

export interface ApiAnswer {
  status: number;
  text: string;
  json: unknown;
}

export interface SluiceNode {
  service: Service;
  pid: number;
  httpPort: number;
  syslogPort: number;
  apiKey: string;
  dataDir: string;
  api: (method: string, path: string, body?: unknown) => Promise<ApiAnswer>;
  stop: () => Promise<void>;
}

/** The exact command the bench runs, for reports. */
export const SERVE_ARGS = ['serve', '--host', '127.0.0.1', '--http-port', '0', '--syslog-port', '0', '--data-dir'];

/**
 * Starts Sluice with a random admin key in a fresh data directory and waits for its
 * `sluice listening http=… syslog=…` line. `extraArgs` are further `serve` flags (a tuned run's
 * settings). Returns a reason string instead of throwing when Sluice cannot run yet, so callers
 * can report "not available" rather than a number.
 */
export async function startSluice(extraArgs: readonly string[] = [], reuse?: { dataDir: string; apiKey: string }): Promise<SluiceNode | string> {
  if (!existsSync(CLI)) return `${CLI} not built`;
  // `reuse`: a restart on a data directory a previous node left (the caller removes it).
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const apiKey = reuse?.apiKey ?? randomBytes(24).toString('hex');
  let service: Service;
  try {
    service = await startService(process.execPath, [...NODE_FLAGS, CLI, ...SERVE_ARGS, dataDir, ...extraArgs], {
      env: { ...process.env, SLUICE_API_KEY: apiKey },
      ready: /sluice listening http=(\d+) syslog=(\d+)/,
      timeoutMs: 15_000,
    });
  } catch (err) {
    if (!reuse) rmSync(dataDir, { recursive: true, force: true });
    const first = (err as Error).message.split('\n').slice(0, 3).join(' ').slice(0, 300);
    return `sluice serve did not start (${first})`;
  }
  const httpPort = Number(service.ready[1]);
  const syslogPort = Number(service.ready[2]);
  const api = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${apiKey}`,
        Accept: 'application/vnd.heroku+json; version=3',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON (e.g. a 404 from a route that does not exist yet): keep the text
    }
    return { status: res.status, text, json };
  };
  const stop = async (): Promise<void> => {
    try {
      await service.stop();
    } finally {
      if (!reuse) rmSync(dataDir, { recursive: true, force: true });
    }
  };
  return { service, pid: service.pid, httpPort, syslogPort, apiKey, dataDir, api, stop };
}

/** An app with a log token named `app`; a reason string when the API cannot do it yet. */
export async function createApp(node: SluiceNode, name: string): Promise<{ token: string } | string> {
  const app = await node.api('POST', '/apps', { name });
  if (app.status !== 201 && app.status !== 200) return `POST /apps answered ${app.status} ${app.text.slice(0, 120)}`;
  const tok = await node.api('POST', `/apps/${name}/log-tokens`, { name: 'app' });
  const token = (tok.json as { token?: unknown } | null)?.token;
  if ((tok.status !== 201 && tok.status !== 200) || typeof token !== 'string')
    return `POST /apps/${name}/log-tokens answered ${tok.status} ${tok.text.slice(0, 120)}`;
  return { token };
}

/** Adds a drain; a reason string when drains are not built yet (404) or the URL is refused. */
export async function addDrain(node: SluiceNode, app: string, url: string): Promise<true | string> {
  const res = await node.api('POST', `/apps/${app}/log-drains`, { url });
  if (res.status === 201 || res.status === 200) return true;
  if (res.status === 404) return 'drains not built yet (POST /apps/{app}/log-drains answered 404)';
  return `POST /apps/${app}/log-drains answered ${res.status} ${res.text.slice(0, 120)}`;
}

/**
 * Polls the app's history (a fresh one-line log session each time) until its newest line
 * carries `seq=<lastSeq>`: proof that Sluice has read, parsed and stored the last line sent.
 * Returns performance.now() of the successful poll, or a reason string when sessions are not
 * available or the deadline passes. Resolution is the poll interval (20 ms).
 */
export async function waitForLastLine(node: SluiceNode, app: string, lastSeq: number, timeoutMs: number): Promise<number | string> {
  const mark = `seq=${String(lastSeq).padStart(10, '0')}`;
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const s = await node.api('POST', `/apps/${app}/log-sessions`, { lines: 1 });
    const url = (s.json as { logplex_url?: unknown } | null)?.logplex_url;
    if (s.status === 404 && typeof url !== 'string') return 'log sessions not built yet (POST /apps/{app}/log-sessions answered 404)';
    if (typeof url !== 'string') return `POST /apps/${app}/log-sessions answered ${s.status} ${s.text.slice(0, 120)}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    if (text.includes(mark)) return performance.now();
    await new Promise((r) => setTimeout(r, 20));
  }
  return `last line (${mark}) not in history after ${timeoutMs} ms`;
}

/** Reads /metrics if Sluice serves it (Prometheus text), else null. */
export async function readMetrics(node: SluiceNode): Promise<string | null> {
  const res = await node.api('GET', '/metrics');
  return res.status === 200 ? res.text : null;
}

/**
 * Lines Sluice says it has routed, from /metrics: `sluice_lines_routed` when present (every
 * accepted line handed to its subscribers), else the sum of `sluice_lines_received_total` over
 * transports. Null when neither exists. Metric names are Sluice's; if they change, update here.
 */
export async function linesCounter(node: SluiceNode): Promise<{ metric: string; value: number } | null> {
  const text = await readMetrics(node);
  if (text === null) return null;
  for (const metric of ['sluice_lines_routed_total', 'sluice_lines_routed', 'sluice_lines_received_total']) {
    const re = new RegExp(`^${metric}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm');
    let sum = 0;
    let found = false;
    for (const m of text.matchAll(re)) {
      found = true;
      sum += Number(m[1]);
    }
    if (found) return { metric, value: sum };
  }
  return null;
}

/** The sum of a metric over all its label sets, from /metrics; null when absent. */
export async function metricSum(node: SluiceNode, metric: string): Promise<number | null> {
  const text = await readMetrics(node);
  if (text === null) return null;
  let sum = 0;
  let found = false;
  for (const m of text.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'gm'))) {
    found = true;
    sum += Number(m[1]);
  }
  return found ? sum : null;
}

/** Polls /metrics every 10 ms until the lines counter reaches `target`; performance.now() then, or why not. */
export async function waitForCounter(node: SluiceNode, metric: string, target: number, timeoutMs: number): Promise<number | string> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const c = await linesCounter(node);
    if (c === null || c.metric !== metric) return `${metric} no longer in /metrics`;
    if (c.value >= target) return performance.now();
    await new Promise((r) => setTimeout(r, 10));
  }
  return `${metric} did not reach ${target} within ${timeoutMs} ms`;
}

/** Why a run against this node failed: the error, plus Sluice's last words if it has exited. */
export async function failure(node: SluiceNode, err: unknown): Promise<string> {
  const msg = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
  const child = node.service.child;
  // A reset connection usually means the process is dying: give its exit a moment to be seen.
  if (child.exitCode === null && child.signalCode === null)
    await new Promise((r) => {
      const t = setTimeout(r, 500);
      child.once('exit', () => {
        clearTimeout(t);
        r(null);
      });
    });
  if (child.exitCode === null && child.signalCode === null) return msg;
  const last = node.service
    .output()
    .split('\n')
    // Keep what explains the exit: drop stack frames, source excerpts, carets and the version banner.
    .filter((l) => l.trim() && !/^\s+at |^\s*\^+\s*$|\.js:\d+$|^Node\.js v/.test(l))
    .slice(-2)
    .join(' | ');
  return `sluice serve exited (${child.exitCode ?? child.signalCode}) during the run: ${last.slice(0, 300)}`;
}
