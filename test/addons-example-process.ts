// Starts the example log-search add-on (dist/examples/log-search-addon/main.js) as a real process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childEnv, repoRoot, track, waitUntil } from './helpers/sluice.js';

export const exampleMain = path.join(repoRoot, 'dist', 'examples', 'log-search-addon', 'main.js');

export interface ExampleAddon {
  url: string;
  dir: string;
  manifestPath: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Ready within 10 s or it throws; `stop()` sends SIGTERM (SIGKILL after 5 s) and removes its files. */
export async function startExampleAddon(password: string): Promise<ExampleAddon> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-log-search-'));
  const manifestPath = path.join(dir, 'manifest.json');
  const proc = track(
    spawn(process.execPath, [exampleMain, '--port', '0', '--db', path.join(dir, 'search.db'), '--manifest-out', manifestPath], {
      env: childEnv({ LOG_SEARCH_PASSWORD: password }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      if (!(await waitUntil(() => proc.exitCode !== null || proc.signalCode !== null, 5_000))) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`example add-on not ready in 10 s:\n${out}`)), 10_000);
      let buf = '';
      proc.stdout!.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        const m = /^log-search listening http=(\d+)$/m.exec(buf);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`example add-on exited (${code}):\n${out}`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, dir, manifestPath, proc, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
