// The real Heroku CLI (npm `heroku`, pinned), installed once into a cache dir outside the repo,
// and a runner that points it at a local sluice with a fresh HOME.

import type { TestContext } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCI, skipOrFail } from './external.js';
import { childEnv, runProgram, track, type RunResult } from './sluice.js';

export const HEROKU_VERSION = '11.10.0';
const INSTALL_TIMEOUT_MS = 8 * 60_000;

export function herokuCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'sluice-test', `heroku-${HEROKU_VERSION}`);
}

function runJsOf(dir: string): string {
  return path.join(dir, 'node_modules', 'heroku', 'bin', 'run.js');
}

function installedOk(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'node_modules', 'heroku', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version === HEROKU_VERSION && existsSync(runJsOf(dir));
  } catch {
    return false;
  }
}

let installing: Promise<string> | undefined;

/**
 * Path of the CLI's `bin/run.js`, installing it when missing. Concurrent installs (several test
 * processes) are safe: each installs into its own temp dir and renames it into place; the loser of
 * the rename race throws its copy away.
 */
export function installHeroku(): Promise<string> {
  installing ??= (async () => {
    const dir = herokuCacheDir();
    if (installedOk(dir)) return runJsOf(dir);
    mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = mkdtempSync(`${dir}.tmp-`);
    try {
      process.stderr.write(`[heroku-cli] installing heroku@${HEROKU_VERSION} into ${dir} (≈400 MB, can take minutes)…\n`);
      const r = await runProgram(
        'npm',
        ['install', '--prefix', tmp, `heroku@${HEROKU_VERSION}`, '--no-audit', '--no-fund', '--omit=dev'],
        { env: childEnv(), timeoutMs: INSTALL_TIMEOUT_MS, cwd: tmp },
      );
      if (r.code !== 0 || !installedOk(tmp)) {
        const out = (r.stderr + r.stdout).trim().split('\n');
        const telling = out.filter((l) => /\b(code|errno|network|request to|E[A-Z]{4,})\b/.test(l) && !/debug-0\.log/.test(l));
        const tail = (telling.length > 0 ? telling.slice(0, 3) : out.slice(-3)).join(' | ');
        throw new Error(`npm install heroku@${HEROKU_VERSION} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}): ${tail}`);
      }
      writeFileSync(path.join(tmp, '.complete'), new Date().toISOString());
      chmodSync(tmp, 0o755); // mkdtemp made it 0700
      try {
        renameSync(tmp, dir);
      } catch (e) {
        if (!installedOk(dir)) throw e; // someone else won the race only if their copy is good
      }
      return runJsOf(dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  })();
  // A failed install may be retried by a later call.
  installing.catch(() => (installing = undefined));
  return installing;
}

/**
 * Make sure the CLI is available: true, or skip the test (fail under CI=true) with a loud reason.
 */
export async function requireHeroku(t: TestContext | undefined): Promise<boolean> {
  try {
    await installHeroku();
    return true;
  } catch (e) {
    if (isCI()) throw e;
    return skipOrFail(t, `heroku@${HEROKU_VERSION}`, (e as Error).message.replace(/\s+/g, ' '));
  }
}

export interface HerokuTarget {
  url: string; // http://127.0.0.1:PORT
  apiKey: string;
}

function herokuEnv(target: HerokuTarget, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(target.url)) {
    throw new Error(`HEROKU_HOST must be http://127.0.0.1:PORT, got ${target.url}`);
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 'sluice-heroku-home-'));
  homes.push(home);
  const binDir = path.join(herokuCacheDir(), 'node_modules', '.bin');
  const env: NodeJS.ProcessEnv = {
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_STATE_HOME: path.join(home, '.local', 'state'),
    TMPDIR: os.tmpdir(),
    LANG: 'C.UTF-8',
    HEROKU_HOST: target.url,
    HEROKU_API_KEY: target.apiKey,
    DISABLE_TELEMETRY: 'true',
    HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
    // Without this every run (a fresh HOME, so no marker file) spawns a detached
    // `heroku update --autoupdate` that outlives the test and tries to reach Heroku's servers.
    HEROKU_DISABLE_AUTOUPDATE: 'true',
    HEROKU_SKIP_ANALYTICS: '1',
    HEROKU_LOGS_COLOR: '0',
    HEROKU_COLOR: '0',
    IS_HEROKU_TEST_ENV: 'true',
    ...extra,
  };
  return env;
}

const homes: string[] = [];
function removeHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
  const i = homes.indexOf(home);
  if (i >= 0) homes.splice(i, 1);
}
process.on('exit', () => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function checkHost(stderr: string): void {
  if (stderr.includes('Invalid HEROKU_HOST')) {
    throw new Error(`the heroku CLI rejected HEROKU_HOST and would talk to api.heroku.com:\n${stderr}`);
  }
}

/** Run `heroku ARGS` to completion against a local sluice. */
export async function runHeroku(
  args: string[],
  target: HerokuTarget,
  o: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const runJs = await installHeroku();
  const env = herokuEnv(target, o.env);
  try {
    const r = await runProgram(process.execPath, ['--no-deprecation', runJs, ...args], {
      env,
      // The CLI (oclif, ~400 MB of plugins) takes 5–25 s to start on a loaded 2-core machine.
      timeoutMs: o.timeoutMs ?? 90_000,
    });
    checkHost(r.stderr);
    return r;
  } finally {
    removeHome(env.HOME!);
  }
}

export interface HerokuChild {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/** Start `heroku ARGS` (e.g. `logs -t`) and leave it running; the harness kills it at the end. */
export async function spawnHeroku(args: string[], target: HerokuTarget): Promise<HerokuChild> {
  const runJs = await installHeroku();
  const env = herokuEnv(target);
  const proc = track(
    spawn(process.execPath, ['--no-deprecation', runJs, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr!.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) =>
    proc.once('close', (code) => {
      removeHome(env.HOME!);
      resolve(code);
    }),
  );
  return {
    proc,
    stdout: () => out,
    stderr: () => {
      checkHost(err);
      return err;
    },
    exited,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    },
  };
}
