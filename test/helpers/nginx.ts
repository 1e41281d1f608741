// A real nginx for tests: its own prefix and config under a temp dir, foreground, on 127.0.0.1, stopped by PID.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { track, waitUntil } from './sluice.js';
import { findProgram, requireProgram } from './external.js';

export interface Nginx {
  port: number;
  proc: ChildProcess;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * Starts nginx with `httpBlock(dir, port)` as the body of its `http {}` (temp paths and the pid
 * are set here); undefined (skipped, or failed under CI) when nginx is not installed.
 */
export async function startNginx(t: TestContext, httpBlock: (dir: string, port: number) => string): Promise<Nginx | undefined> {
  const bin = findProgram('nginx') ?? findProgram('/usr/sbin/nginx');
  if (!bin) {
    requireProgram(t, 'nginx');
    return undefined;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-nginx-'));
  mkdirSync(path.join(dir, 'tmp'));
  const port = await freePort();
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${dir}/tmp/${k};`).join('\n');
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 64; }\nhttp {\n${temps}\n${httpBlock(dir, port)}\n}\n`,
  );
  const proc = track(spawn(bin, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGQUIT'); // graceful: workers finish and the master exits
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const connects = (): Promise<boolean> =>
    new Promise<boolean>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.on('error', () => resolve(false));
    });
  if (!(await waitUntil(connects, 10_000, 100))) {
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'error.log'), 'utf8');
    } catch {
      /* none */
    }
    await stop();
    assert.fail(`nginx did not start: ${err}\n${log}`);
  }
  t.after(stop);
  return { port, proc, dir, stop };
}
