// Test harness: start a real `sluice serve` process on free ports and talk to it.
//
// Every process started here is killed in a root-level `after` hook (and, as a last resort,
// synchronously on process exit), so a failing test never leaves a server behind. Every wait is
// bounded: readiness ≤ 15 s, reads ≤ 10 s, stop ≤ 15 s.

import { after } from 'node:test';
import net from 'node:net';
import dgram from 'node:dgram';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertNoSecrets, SecretSet } from './log-scan.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root (this file is compiled to dist/test/helpers/sluice.js). */
export const repoRoot = path.resolve(here, '..', '..', '..');
/** The compiled CLI entry point. */
export const sluiceMain = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export const READY_TIMEOUT_MS = 15_000;
export const READ_TIMEOUT_MS = 10_000;
export const STOP_TIMEOUT_MS = 15_000;

export interface StartOptions {
  /** Reuse a data dir (not removed by the harness); default a fresh temp dir removed at the end. */
  dataDir?: string;
  env?: Record<string, string>;
  args?: string[];
  /** Admin key; default a fresh random one. */
  apiKey?: string;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, otherwise the text. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read fields of API replies freely
  body: any;
}

export interface ReadLogsOptions {
  lines?: number;
  source?: string;
  dyno?: string;
  type?: string;
  /** Read the SSE form instead of text/plain (returns the `data:` payloads). */
  sse?: boolean;
}

export interface Sluice {
  httpPort: number;
  syslogPort: number;
  /** The router (nginx) log UDP port, when started with `--router-port`. */
  routerPort?: number;
  /** `http://127.0.0.1:<httpPort>` */
  url: string;
  apiKey: string;
  dataDir: string;
  proc: ChildProcess;
  /** stdout + stderr of the server so far (for failure messages). */
  output(): string;
  /** Everything the server wrote to stdout and stderr since it started (its log included). */
  log(): string;
  /** Secrets this test used: the server's output is checked for them (and for secret shapes) when it stops. */
  secrets: SecretSet;
  /** An API call with the server's admin key; `headers` are added (e.g. Idempotency-Key). */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult>;
  postLogs(token: string, frames: string[] | Buffer, headers?: Record<string, string>): Promise<HttpResult>;
  readLogs(app: string, opts?: ReadLogsOptions): Promise<string[]>;
  /** Poll history until `pred(lines)` holds (default ≤ 10 s); returns the last lines read. */
  waitForLogs(app: string, pred: (lines: string[]) => boolean, opts?: ReadLogsOptions & { timeoutMs?: number }): Promise<string[]>;
  /** Create an app and a log token in it; returns the token string (`t.…`). */
  createAppWithToken(app: string, tokenName?: string): Promise<string>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Process bookkeeping

const live = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
/** Secret scans of servers not yet checked; run when a server stops, and at the end for the rest. */
const scans = new Set<() => void>();

function cleanupSync(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  live.clear();
}
process.on('exit', () => {
  cleanupSync();
  for (const d of ownedDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* ignore */
    }
  }
});

// Registered at import time, i.e. on the root test of the importing file.
after(async () => {
  await Promise.all([...live].map((p) => killAndWait(p, 'SIGKILL', 5_000)));
  live.clear();
  const leaks: string[] = [];
  for (const scan of [...scans]) {
    try {
      scan();
    } catch (e) {
      leaks.push((e as Error).message);
    }
  }
  scans.clear();
  for (const d of ownedDirs) rmSync(d, { recursive: true, force: true });
  ownedDirs.clear();
  if (leaks.length > 0) throw new Error(leaks.join('\n'));
});

/** Waits (≤ 2 s) until the child's stdout and stderr have ended, so its last lines are read. */
function outputClosed(p: ChildProcess): Promise<void> {
  const ended = (s: NodeJS.ReadableStream | null): Promise<void> =>
    !s || (s as unknown as { readableEnded: boolean }).readableEnded || (s as unknown as { destroyed: boolean }).destroyed
      ? Promise.resolve()
      : new Promise((resolve) => {
          s.once('end', () => resolve());
          s.once('close', () => resolve());
        });
  return Promise.race([Promise.all([ended(p.stdout), ended(p.stderr)]).then(() => {}), new Promise<void>((r) => setTimeout(r, 2_000))]);
}

function exited(p: ChildProcess): boolean {
  return p.exitCode !== null || p.signalCode !== null;
}

function waitExit(p: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (exited(p)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      p.off('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    p.once('exit', onExit);
  });
}

async function killAndWait(p: ChildProcess, sig: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (!exited(p)) {
    try {
      p.kill(sig);
    } catch {
      /* ignore */
    }
    if (!(await waitExit(p, timeoutMs)) && sig !== 'SIGKILL') {
      p.kill('SIGKILL');
      await waitExit(p, 5_000);
    }
  }
  live.delete(p);
}

/** Environment for child node processes: drop the test runner's own markers. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Frames

/** Octet-counted frame: `<bytes of msg> <msg>`. */
export function makeFrame(msg: string): string {
  return `${Buffer.byteLength(msg, 'utf8')} ${msg}`;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` for a Date (microseconds from `micros`, default 0). */
export function isoMicros(d: Date = new Date(), micros?: number): string {
  const s = d.toISOString(); // 2024-01-02T03:04:05.678Z
  const us = micros !== undefined ? String(micros).padStart(6, '0') : `${s.slice(20, 23)}000`;
  return `${s.slice(0, 19)}.${us}+00:00`;
}

/** A deterministic timestamp: 2024-05-01T12:00:00 plus `i` seconds, with microseconds `i % 1e6`. */
export function fixedTime(i: number): string {
  return isoMicros(new Date(Date.UTC(2024, 4, 1, 12, 0, 0) + i * 1000), i % 1_000_000);
}

/** An RFC 5424 message `<190>1 TIME host TOKEN PROCID - - MSG` (no length prefix). */
export function rfc5424(token: string, procid: string, msg: string, time?: string): string {
  return `<190>1 ${time ?? isoMicros()} host ${token} ${procid} - - ${msg}`;
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

export async function readTextWithTimeout(res: Response, timeoutMs: number, what: string): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms reading ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([res.text(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function toResult(res: Response, what: string): Promise<HttpResult> {
  const text = await readTextWithTimeout(res, READ_TIMEOUT_MS, what);
  const ct = res.headers.get('content-type') ?? '';
  let body: HttpResult['body'] = text;
  if (/json/i.test(ct) && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, headers: res.headers, body };
}

function parseSse(text: string): string[] {
  const out: string[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data: string[] = [];
    for (const line of event.split(/\r?\n/)) {
      if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    if (data.length > 0) out.push(...data.join('\n').split('\n'));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Start

export async function startSluice(opts: StartOptions = {}): Promise<Sluice> {
  if (!existsSync(sluiceMain)) throw new Error(`${sluiceMain} does not exist: run \`npx tsc -p tsconfig.json\` first`);
  let dataDir = opts.dataDir;
  if (!dataDir) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'));
    ownedDirs.add(dataDir);
  }
  const apiKey = opts.apiKey ?? opts.env?.SLUICE_API_KEY ?? `sk_test_${randomUUID().replace(/-/g, '')}`;
  const args = [
    sluiceMain,
    'serve',
    '--host',
    '127.0.0.1',
    '--http-port',
    '0',
    '--syslog-port',
    '0',
    '--data-dir',
    dataDir,
    ...(opts.args ?? []),
  ];
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: childEnv({ SLUICE_API_KEY: apiKey, ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));

  let out = '';
  // The whole output, for the secret scan (the server's log is small: repeated events are summarised).
  let all = '';
  const secrets = new SecretSet();
  secrets.add(apiKey);
  const append = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    out += text;
    if (all.length < 32 * 1024 * 1024) all += text;
    if (out.length > 256 * 1024) out = out.slice(-128 * 1024);
  };
  let scanned = false;
  const scan = (): void => {
    if (scanned) return;
    scanned = true;
    scans.delete(scan);
    // The one place a secret is printed on purpose: the generated admin key, once, on stderr.
    const banner = /sluice: generated the admin API key[^\n]*\n {2}sk_\S+\n {2}use it with: export SLUICE_API_KEY=sk_\S+\n/g;
    assertNoSecrets(all.replace(banner, ''), secrets, `sluice serve (pid ${proc.pid}, data dir ${dataDir})`);
  };
  scans.add(scan);
  proc.stderr!.on('data', append);

  const ports = await new Promise<{ http: number; syslog: number; router?: number }>((resolve, reject) => {
    let buf = '';
    const fail = (msg: string): void => {
      cleanup();
      void killAndWait(proc, 'SIGKILL', 5_000);
      reject(new Error(`${msg}\n--- sluice output ---\n${out}`));
    };
    const timer = setTimeout(() => fail(`sluice not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      append(chunk);
      buf += chunk.toString('utf8');
      const m = /^sluice listening http=(\d+) syslog=(\d+)(?: syslog-tls=(\d+))?(?: router=(\d+))?\s*$/m.exec(buf);
      if (m) {
        cleanup();
        resolve({ http: Number(m[1]), syslog: Number(m[2]), router: m[4] ? Number(m[4]) : undefined });
      }
    };
    const onExit = (code: number | null, sig: string | null): void =>
      fail(`sluice exited before it was ready (code ${code}, signal ${sig})`);
    const onError = (err: Error): void => fail(`could not spawn sluice: ${err.message}`);
    function cleanup(): void {
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.off('exit', onExit);
      proc.off('error', onError);
      // keep collecting stdout for diagnostics
      proc.stdout!.on('data', append);
    }
    proc.stdout!.on('data', onData);
    proc.once('exit', onExit);
    proc.once('error', onError);
  });

  const url = `http://127.0.0.1:${ports.http}`;

  const api = async (method: string, p: string, body?: unknown, extra: Record<string, string> = {}): Promise<HttpResult> => {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${apiKey}`,
      Accept: 'application/vnd.heroku+json; version=3',
      ...extra,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    secrets.learn(body);
    const res = await fetch(url + p, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    });
    const result = await toResult(res, `${method} ${p}`);
    secrets.learn(result.body);
    return result;
  };

  const postLogs = async (
    token: string,
    frames: string[] | Buffer,
    headers: Record<string, string> = {},
  ): Promise<HttpResult> => {
    secrets.add(token);
    const body = Buffer.isBuffer(frames) ? frames : Buffer.from(frames.join(''), 'utf8');
    const res = await fetch(`${url}/logs`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`token:${token}`).toString('base64')}`,
        'Content-Type': 'application/logplex-1',
        ...headers,
      },
      body,
      signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    });
    return toResult(res, 'POST /logs');
  };

  const readLogs = async (app: string, o: ReadLogsOptions = {}): Promise<string[]> => {
    const { sse, ...params } = o;
    const s = await api('POST', `/apps/${encodeURIComponent(app)}/log-sessions`, { ...params, tail: false });
    if (s.status !== 201 && s.status !== 200) {
      throw new Error(`POST log-sessions for ${app}: ${s.status} ${JSON.stringify(s.body)}`);
    }
    const res = await fetch(s.body.logplex_url as string, {
      headers: { Accept: sse ? 'text/event-stream' : 'text/plain' },
      signal: AbortSignal.timeout(READ_TIMEOUT_MS),
    });
    const text = await readTextWithTimeout(res, READ_TIMEOUT_MS, `session of ${app}`);
    if (res.status !== 200) throw new Error(`GET logplex_url for ${app}: ${res.status} ${text}`);
    if (sse) return parseSse(text);
    const lines = text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  };

  const waitForLogs = async (
    app: string,
    pred: (lines: string[]) => boolean,
    o: ReadLogsOptions & { timeoutMs?: number } = {},
  ): Promise<string[]> => {
    const { timeoutMs = READ_TIMEOUT_MS, ...ro } = o;
    const deadline = Date.now() + timeoutMs;
    let lines: string[] = [];
    for (;;) {
      lines = await readLogs(app, { lines: 1500, ...ro });
      if (pred(lines)) return lines;
      if (Date.now() > deadline) return lines;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const createAppWithToken = async (app: string, tokenName = 'app'): Promise<string> => {
    const a = await api('POST', '/apps', { name: app });
    if (a.status !== 201) throw new Error(`POST /apps ${app}: ${a.status} ${JSON.stringify(a.body)}`);
    const t = await api('POST', `/apps/${app}/log-tokens`, { name: tokenName });
    if (t.status !== 201) throw new Error(`POST log-tokens ${app}: ${t.status} ${JSON.stringify(t.body)}`);
    return t.body.token as string;
  };

  return {
    httpPort: ports.http,
    syslogPort: ports.syslog,
    routerPort: ports.router,
    url,
    apiKey,
    dataDir,
    proc,
    output: () => out,
    log: () => all,
    secrets,
    api,
    postLogs,
    readLogs,
    waitForLogs,
    createAppWithToken,
    async stop() {
      await killAndWait(proc, 'SIGTERM', STOP_TIMEOUT_MS);
      await outputClosed(proc);
      scan();
      return proc.exitCode;
    },
    async kill9() {
      await killAndWait(proc, 'SIGKILL', 5_000);
      await outputClosed(proc);
      scan();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The sluice CLI as a client (`sluice logs …`)

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a program to completion with a hard timeout (SIGKILL, then the promise still resolves). */
export function runProgram(
  cmd: string,
  args: string[],
  o: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string | Buffer; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: o.env ?? childEnv(), cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    p.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `\n[harness] killed after ${o.timeoutMs ?? 30_000} ms\n`;
      p.kill('SIGKILL');
    }, o.timeoutMs ?? 30_000);
    p.once('error', (e) => {
      clearTimeout(timer);
      live.delete(p);
      reject(e);
    });
    p.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(p);
      resolve({ code, signal, stdout, stderr });
    });
    p.stdin!.on('error', () => {});
    p.stdin!.end(o.input ?? '');
  });
}

/** Track a long-running child so the root `after` hook kills it. */
export function track(p: ChildProcess): ChildProcess {
  live.add(p);
  p.once('exit', () => live.delete(p));
  return p;
}

export function runSluiceCli(args: string[], s: { url: string; apiKey: string }, timeoutMs = 15_000): Promise<RunResult> {
  return runProgram(process.execPath, [sluiceMain, ...args], {
    env: childEnv({ SLUICE_URL: s.url, SLUICE_API_KEY: s.apiKey, FORCE_COLOR: undefined, NO_COLOR: '1' }),
    timeoutMs,
  });
}

/** Wait until `pred()` is true, polling every `stepMs`; false on timeout. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Raw syslog senders


/**
 * Open one TCP connection, write `chunks` in order, half-close, and wait (≤ timeoutMs) for the
 * server to close or for `lingerMs` after the end, whichever comes first. Never rejects on
 * resets: hostile tests expect the server may drop the connection.
 */
export function sendTcp(
  port: number,
  chunks: Array<string | Buffer> | string | Buffer,
  o: { timeoutMs?: number; lingerMs?: number } = {},
): Promise<{ error?: string; closedByServer: boolean }> {
  const list = Array.isArray(chunks) ? chunks : [chunks];
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let error: string | undefined;
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(hard);
      clearTimeout(linger);
      sock.destroy();
      resolve({ error, closedByServer });
    };
    const hard = setTimeout(() => finish(false), o.timeoutMs ?? 10_000);
    let linger: NodeJS.Timeout | undefined;
    sock.on('error', (e) => {
      error = e.message;
      finish(true);
    });
    sock.on('close', () => finish(true));
    sock.on('data', () => {});
    sock.once('connect', () => {
      for (const c of list) sock.write(c);
      sock.end(() => {
        linger = setTimeout(() => finish(false), o.lingerMs ?? 200);
      });
    });
  });
}

/** Send each buffer as one UDP datagram. */
export async function sendUdp(port: number, datagrams: Array<string | Buffer>): Promise<void> {
  const sock = dgram.createSocket('udp4');
  try {
    for (const d of datagrams) {
      await new Promise<void>((resolve, reject) => sock.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    sock.close();
  }
}
