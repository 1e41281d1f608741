// The parent's handle on a counting sink running in its own process (bench/lib/sink-process.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { SinkReply, SinkRequest } from './sink-process.js';
import type { WaitResult } from './sinks.js';
import { stopProcess } from './proc.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'sink-process.js');

/** Distributes Omit over the request union, so each op keeps its own fields. */
type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

/** An epoch-ms instant from the child on this process's performance.now() scale (0 stays 0). */
const local = (epochMs: number): number => (epochMs === 0 ? 0 : epochMs - performance.timeOrigin);

/**
 * A TCP or HTTP counting sink in a child process: its event loop answers the drain at once
 * however busy the bench's load generator is, as a real receiver in its own process would.
 * Counts and arrival instants come back over IPC, on request.
 */
export class ChildSink {
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: SinkReply) => void; reject: (e: Error) => void }>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (r: SinkReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.error) p.reject(new Error(`sink process: ${r.error}`));
      else p.resolve(r);
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`sink process exited (${signal ?? code})`));
      this.pending.clear();
    });
  }

  static async start(kind: 'http' | 'tcp', opts: { latency?: boolean } = {}): Promise<ChildSink> {
    const args = [SCRIPT, '--kind', kind, ...(opts.latency ? ['--latency'] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('sink process printed no port within 10 s')), 10_000);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(e);
      };
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`sink process exited (${code}) before printing its port`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const nl = out.indexOf('\n');
        if (nl < 0) return;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        const n = Number(out.slice(0, nl).trim());
        if (Number.isInteger(n) && n > 0) resolve(n);
        else fail(new Error(`sink process printed ${JSON.stringify(out.slice(0, nl))}, not a port`));
      });
    });
    child.stdout!.resume(); // anything further is not ours to read
    return new ChildSink(child, port);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private request(body: Body<SinkRequest>): Promise<SinkReply> {
    if (this.exited || !this.child.connected) return Promise.reject(new Error('sink process is gone'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...body, id } as SinkRequest);
    });
  }

  /** Lines counted so far. */
  async counted(): Promise<number> {
    return (await this.request({ op: 'stats' })).count;
  }

  /** As CountingSink.settle, run inside the sink process; `at` is on this process's clock. */
  async settle(target: number, idleMs: number, timeoutMs: number): Promise<WaitResult> {
    const r = await this.request({ op: 'settle', target, idleMs, timeoutMs });
    return { reached: r.reached ?? false, count: r.count, at: local(r.at ?? 0) };
  }

  async percentiles(ps: number[]): Promise<number[]> {
    return (await this.request({ op: 'percentiles', ps })).percentiles ?? ps.map(() => NaN);
  }

  async reset(): Promise<void> {
    await this.request({ op: 'reset' });
  }

  async close(): Promise<void> {
    if (!this.exited) {
      await this.request({ op: 'close' }).catch(() => undefined);
      await stopProcess(this.child, 2_000);
    }
  }
}
