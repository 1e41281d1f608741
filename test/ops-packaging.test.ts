// packaging/: the systemd unit passes `systemd-analyze verify`; the Dockerfile has what it must.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireProgram } from './helpers/external.js';
import { childEnv, repoRoot, runProgram, startSluice } from './helpers/sluice.js';

const UNIT = path.join(repoRoot, 'packaging', 'sluice.service');
const DOCKERFILE = path.join(repoRoot, 'packaging', 'Dockerfile');

function verify(unit: string) {
  return runProgram('systemd-analyze', ['verify', '--man=no', unit], { env: childEnv(), timeoutMs: 30_000 });
}

test('packaging/sluice.service passes systemd-analyze verify with no warning, and a broken unit does not', async (t) => {
  if (!requireProgram(t, 'systemd-analyze')) return;
  const r = await verify(UNIT);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', 'no warnings');
  const text = readFileSync(UNIT, 'utf8');
  assert.match(text, /^ExecStart=\/usr\/bin\/node \S+\/dist\/src\/cli\/main\.js serve\b/m);
  assert.match(text, /^User=sluice$/m, 'not root');
  assert.match(text, /^KillSignal=SIGTERM$/m);
  const stop = Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);
  assert.ok(stop > 10, 'longer than the 10 s drains get to flush');

  // The check can fail: the same unit with a relative ExecStart and an unknown key.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-unit-'));
  try {
    const broken = path.join(dir, 'sluice.service');
    writeFileSync(broken, text.replace(/^ExecStart=\/usr\/bin\/node/m, 'ExecStart=node').replace('[Service]', '[Service]\nRestartt=always'));
    const b = await verify(broken);
    assert.notEqual(`${b.code} ${b.stderr}`, '0 ', 'systemd-analyze must complain about the broken unit');
    assert.match(b.stderr, /Restartt|ExecStart|absolute/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Dockerfile instructions (continuation lines joined), as [INSTRUCTION, arguments]. */
function instructions(text: string): Array<[string, string]> {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      return [m![1].toUpperCase(), m![2]] as [string, string];
    });
}

// Debian has no hadolint package (apt-cache policy hadolint: no candidate), so the Dockerfile's
// essentials are checked here instead, and its HEALTHCHECK command is run for real.
test('packaging/Dockerfile: node:20-bookworm-slim, better-sqlite3 built, non-root, /data volume, HEALTHCHECK on /healthz', async () => {
  const ins = instructions(readFileSync(DOCKERFILE, 'utf8'));
  const all = (name: string): string[] => ins.filter(([i]) => i === name).map(([, a]) => a);
  const froms = all('FROM');
  assert.ok(froms.length >= 1 && froms.every((f) => /^node:20-bookworm-slim\b/.test(f)), froms.join(' | '));
  assert.ok(all('RUN').some((r) => /better-sqlite3/.test(r) && /npm (rebuild|ci)/.test(r)), 'better-sqlite3 is built');
  assert.ok(all('RUN').some((r) => /apt-get install[^&]*\b(python3)\b[^&]*\bmake\b[^&]*\bg\+\+/.test(r)), "better-sqlite3's build tools");
  // The last stage runs as a user that is not root.
  const lastFrom = ins.map(([i]) => i).lastIndexOf('FROM');
  const users = ins.slice(lastFrom).filter(([i]) => i === 'USER').map(([, a]) => a);
  assert.ok(users.length > 0 && !/^(root|0)(:|$)/.test(users[users.length - 1]), `USER in the run stage: ${users.join(',')}`);
  assert.ok(all('VOLUME').some((v) => v.includes('/data')));
  assert.ok(all('ENV').some((e) => /SLUICE_DATA_DIR=\/data/.test(e)));
  assert.ok(all('EXPOSE').some((e) => /\b8601\b/.test(e) && /\b6001\/udp\b/.test(e)));
  // Every COPY from the build context names something in the repository.
  for (const c of all('COPY').filter((c) => !c.startsWith('--from'))) {
    const srcs = c.split(/\s+/).slice(0, -1);
    for (const s of srcs) assert.ok(existsSync(path.join(repoRoot, s)), `COPY ${s}: not in the repository`);
  }
  const hc = all('HEALTHCHECK');
  assert.equal(hc.length, 1);
  const cmd = JSON.parse(/CMD\s+(\[.*\])\s*$/.exec(hc[0])![1]) as string[];
  assert.ok(cmd.join(' ').includes('/healthz'));

  // The HEALTHCHECK command itself: healthy against a running node, unhealthy when it is gone.
  const s = await startSluice();
  const run = (port: number) =>
    runProgram(
      cmd[0],
      cmd.slice(1).map((a) => a.replace(':8601/', `:${port}/`)),
      { env: childEnv(), timeoutMs: 20_000 },
    );
  assert.equal((await run(s.httpPort)).code, 0);
  await s.stop();
  assert.equal((await run(s.httpPort)).code, 1);
});
