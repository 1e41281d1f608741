// Test helper: a throwaway `redis-server` on 127.0.0.1 and a free port, stopped by its PID.
//
// Nothing is saved (`--save '' --appendonly no`), it runs in its own temporary directory, and
// every server started here is killed on process exit even when a test fails. Waits are bounded.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { findProgram, skipOrFail } from './helpers/external.js';

export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (SIGKILL by PID); `start()` brings a new, empty one up on the same port. */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) {
    try {
      process.kill(p.pid ?? -1, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** A fresh redis-server, or undefined after skipping the test (failing it under CI=true). */
export async function startRedis(t: TestContext | undefined): Promise<TestRedis | undefined> {
  if (!findProgram('redis-server')) {
    skipOrFail(t, 'redis-server', 'cluster mode tests need it (Debian package `redis-server`)');
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-redis-'));
  const port = await freePort();
  let proc: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(p);
    p.once('exit', () => running.delete(p));
    proc = p;
    let out = '';
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const seen = (c: Buffer): void => {
        out += c.toString();
        if (out.includes('Ready to accept connections')) {
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
    if (!ready) throw new Error(`redis-server did not start on port ${port}:\n${out}`);
  };

  const kill = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    process.kill(p.pid ?? -1, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
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
