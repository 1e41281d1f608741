// Guard for tests that need an external program (logger, the heroku CLI, …).
//
// Missing program: with CI=true the test fails with a clear message (a CI image must have it);
// otherwise the test is skipped and one loud line goes to stderr so nobody mistakes a skip for
// a pass.

import type { TestContext } from 'node:test';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** Absolute path of `name` on PATH (or `name` itself if it is a path), or null. */
export function findProgram(name: string): string | null {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return null;
}

export function isCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/**
 * Skip (or, under CI, fail) when something the test needs is unavailable. `why` explains it.
 * Returns false after calling `t.skip` so the caller can `return`.
 */
export function skipOrFail(t: TestContext | undefined, what: string, why: string): false {
  const msg = `${what} not installed: ${why}`;
  if (isCI()) throw new Error(`${msg} (CI=true, so this is a failure, not a skip)`);
  process.stderr.write(`\n!!!!! SKIPPED: ${msg} — this test did NOT run !!!!!\n`);
  t?.skip(msg);
  return false;
}

/** True when `name` is runnable; otherwise skip the test (fail under CI=true) and return false. */
export function requireProgram(t: TestContext | undefined, name: string): boolean {
  if (findProgram(name)) return true;
  return skipOrFail(t, name, `\`${name}\` was not found on PATH (${process.env.PATH ?? ''})`);
}
