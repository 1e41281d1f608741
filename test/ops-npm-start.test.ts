// `npm start`, then SIGTERM to npm's own pid: Sluice must stop (the start script execs node).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { childEnv, repoRoot, track, waitUntil } from './helpers/sluice.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Direct children of a process (Linux /proc). */
function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(true));
  });
}

test('kill <npm start pid> stops Sluice: the port closes and no node process is left', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-npm-start-'));
  const npm = track(
    spawn('npm', ['start', '--', '--host', '127.0.0.1', '--http-port', '0', '--syslog-port', '0', '--data-dir', dataDir], {
      cwd: repoRoot,
      env: childEnv({ SLUICE_API_KEY: 'sk_npm_start_test_key', npm_config_update_notifier: 'false' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  npm.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  npm.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const npmExit = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let nodePids: number[] = [];
  try {
    assert.ok(await waitUntil(() => /sluice listening http=\d+/.test(out), 20_000), `npm start did not come up:\n${out}`);
    const port = Number(/sluice listening http=(\d+)/.exec(out)![1]);
    assert.equal(await refuses(port), false, 'Sluice is listening');
    // Every process npm started, down the tree (with `exec`, node is npm's direct child).
    const tree = (pid: number): number[] => children(pid).flatMap((c) => [c, ...tree(c)]);
    nodePids = tree(npm.pid!);
    assert.ok(nodePids.length > 0, 'npm has a child');

    npm.kill('SIGTERM');
    await Promise.race([npmExit, new Promise((r) => setTimeout(r, 20_000))]);
    assert.ok(await waitUntil(() => nodePids.every((p) => !alive(p)), 20_000), `still running: ${nodePids.filter(alive).join(' ')}`);
    assert.equal(await refuses(port), true, 'the HTTP port is closed');
  } finally {
    for (const p of nodePids) if (alive(p)) process.kill(p, 'SIGKILL');
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
