// The log-session conformance suite: the embedded node's memory sessions and the cluster's JetStream KV sessions both run it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SessionRegistry } from './sessions.js';

export interface SessionsFactory {
  /** The open window every registry of this suite uses (short, so expiry can be seen). */
  windowMs: number;
  /** Two registries over the same sessions (one node twice; or two nodes of a cluster). */
  open(): Promise<{ a: SessionRegistry; b: SessionRegistry }>;
}

const init = (tail: boolean) => ({ appId: 'app-1', lines: 100, tail, filter: { source: 'app' }, priority: false });

export function sessionsContract(name: string, f: SessionsFactory): void {
  describe(`Sessions contract: ${name}`, () => {
    test('a tail session opens with its secret (again, for SSE reconnects) through either registry, and not after its window', async () => {
      const { a, b } = await f.open();
      const s = await a.create(init(true));
      assert.equal(await b.open(s.id, 'wrong'), undefined);
      const got = await b.open(s.id, s.secret);
      assert.equal(got?.id, s.id);
      assert.deepEqual({ appId: got.appId, lines: got.lines, tail: got.tail, filter: got.filter }, { appId: 'app-1', lines: 100, tail: true, filter: { source: 'app' } });
      assert.equal((await a.open(s.id, s.secret))?.id, s.id, 'opened again within the window');
      await new Promise((r) => setTimeout(r, f.windowMs + 300));
      assert.equal(await b.open(s.id, s.secret), undefined, 'expired');
    });

    test('a session without tail is spent by its first open; a wrong secret does not spend it; of two racing readers one wins', async () => {
      const { a, b } = await f.open();
      const s = await a.create(init(false));
      assert.equal(await a.open(s.id, 'wrong'), undefined);
      const both = await Promise.all([b.open(s.id, s.secret), b.open(s.id, s.secret)]);
      assert.equal(both.filter((x) => x?.id === s.id).length, 1, 'exactly one of two racing readers');
      assert.equal(await a.open(s.id, s.secret), undefined, 'spent, through the other registry too');
    });

    test('secrets are long and URL-safe; unknown and malformed ids open nothing', async () => {
      const { a, b } = await f.open();
      const s = await a.create(init(true));
      assert.match(s.secret, /^[A-Za-z0-9_-]{43}$/);
      assert.notEqual((await a.create(init(true))).secret, s.secret);
      assert.equal(await b.open('00000000-0000-4000-8000-000000000000', s.secret), undefined);
      assert.equal(await b.open('../../x', s.secret), undefined);
      assert.equal(await b.open(`${s.id}.>`, s.secret), undefined);
    });
  });
}
