// Test helper: a real 3-server NATS JetStream cluster on 127.0.0.1 random ports, stopped by PID.
//
// Each server has its own JetStream store directory under one temporary directory; every server
// started here is SIGKILLed on process exit even when a test fails. Waits are bounded.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { findProgram, skipOrFail } from './helpers/external.js';

export interface NatsServer {
  name: string;
  port: number;
  pid(): number | undefined;
  /** SIGKILL by PID, waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and store directory. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT by PID. */
  pause(): void;
  resume(): void;
}

export interface TestNats {
  servers: NatsServer[];
  /** `nats://127.0.0.1:a,nats://127.0.0.1:b,…` — what `--nats-url` takes. */
  url: string;
  /** Kills every server, deletes their JetStream stores, and starts them again empty. */
  wipe(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) {
    try {
      process.kill(p.pid ?? -1, 'SIGCONT');
      process.kill(p.pid ?? -1, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** A fresh clustered nats-server trio, or undefined after skipping the test (failing under CI=true). */
export async function startNats(t: TestContext | undefined, n = 3): Promise<TestNats | undefined> {
  if (!findProgram('nats-server')) {
    skipOrFail(t, 'nats-server', 'cluster mode tests need it (Debian package `nats-server`)');
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-nats-'));
  const ports = await Promise.all(Array.from({ length: n }, () => freePort()));
  const routePorts = await Promise.all(Array.from({ length: n }, () => freePort()));
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers = ports.map((port, i) => server(`n${i + 1}`, port, n > 1 ? routePorts[i] : undefined, routes, path.join(dir, `n${i + 1}`)));
  await Promise.all(servers.map((s) => s.start()));
  const url = ports.map((p) => `nats://127.0.0.1:${p}`).join(',');
  await jetStreamReady(url);
  return {
    servers,
    url,
    wipe: async () => {
      await Promise.all(servers.map((s) => s.kill()));
      for (const s of servers) rmSync(path.join(dir, s.name), { recursive: true, force: true });
      await Promise.all(servers.map((s) => s.start()));
      await jetStreamReady(url);
    },
    stop: async () => {
      await Promise.all(servers.map((s) => s.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function server(name: string, port: number, routePort: number | undefined, routes: string, storeDir: string): NatsServer {
  let proc: ChildProcess | undefined;
  const args = ['-a', '127.0.0.1', '-p', String(port), '-n', name, '-js', '-sd', storeDir];
  // One server alone runs unclustered (a clustered JetStream needs a quorum of peers).
  if (routePort !== undefined) args.push('--cluster_name', 'sluice-test', '--cluster', `nats://127.0.0.1:${routePort}`, '--routes', routes);
  return {
    name,
    port,
    pid: () => proc?.pid,
    async start() {
      const p = spawn('nats-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(p);
      p.once('exit', () => running.delete(p));
      proc = p;
      let out = '';
      const ready = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 15_000);
        const seen = (c: Buffer): void => {
          out += c.toString();
          if (out.includes('Server is ready')) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        p.stdout?.on('data', seen);
        p.stderr?.on('data', seen);
        p.once('exit', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (!ready) throw new Error(`nats-server ${name} did not start on port ${port}:\n${out}`);
    },
    async kill() {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      try {
        process.kill(p.pid ?? -1, 'SIGCONT');
        process.kill(p.pid ?? -1, 'SIGKILL');
      } catch {
        /* gone already */
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
      clearTimeout(timer);
    },
    pause() {
      if (proc?.pid) process.kill(proc.pid, 'SIGSTOP');
    },
    resume() {
      if (proc?.pid) process.kill(proc.pid, 'SIGCONT');
    },
  };
}

/** Waits (bounded, 30 s) until the cluster has elected its JetStream meta leader and answers. */
export async function jetStreamReady(url: string): Promise<void> {
  const nc = await connect({ servers: url.split(','), timeout: 2_000 });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 1_000 });
        await jsm.getAccountInfo();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`JetStream did not become ready: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await nc.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
