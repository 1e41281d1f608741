// The History conformance suite: the embedded (SQLite) and cluster (JetStream) histories both run it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LogLine } from '../core/log-line.js';
import type { History } from './contract.js';

export interface HistoryFactory {
  /** A fresh, empty history. */
  open(): Promise<History>;
  /** The same lines, opened again after `close()` (a restart, or another node). */
  reopen(old: History): Promise<History>;
}

export const line = (i: number, procid = 'web.1'): LogLine => ({
  pri: 190,
  time: '2026-11-21T05:14:56.000000+00:00',
  hostname: 'host',
  source: 'app',
  procid,
  msgid: '-',
  sd: '-',
  msg: `line ${i} é✓`,
});

export function historyContract(name: string, factory: HistoryFactory): void {
  describe(`History contract: ${name}`, () => {
    test('keeps exactly the newest 1,500 lines, readable at once and after a reopen', async () => {
      const h = await factory.open();
      for (let i = 1; i <= 1600; i++) h.deliver('app-1', line(i));
      const now = await h.read('app-1', 5000);
      assert.equal(now.length, 1500, 'a node reads its own lines before any flush');
      assert.equal(now[0].msg, 'line 101 é✓');
      assert.equal(now[1499].msg, 'line 1600 é✓');
      for (let i = 1601; i <= 1700; i++) h.deliver('app-1', line(i));
      h.flush();
      const r = await factory.reopen(h);
      const back = await r.read('app-1', 1500);
      assert.equal(back.length, 1500);
      assert.equal(back[0].msg, 'line 201 é✓');
      assert.equal(back[1499].msg, 'line 1700 é✓');
      assert.deepEqual((await r.read('app-1', 2)).map((l) => l.msg), ['line 1699 é✓', 'line 1700 é✓']);
      await r.close();
    });

    test('a filtered read returns the newest matches oldest-first; drop forgets an app', async () => {
      const h = await factory.open();
      for (let i = 1; i <= 30; i++) h.deliver('a', line(i, i % 3 === 0 ? 'worker.1' : 'web.1'));
      h.flush();
      for (let i = 31; i <= 33; i++) h.deliver('a', line(i, i % 3 === 0 ? 'worker.1' : 'web.1'));
      const workers = await h.read('a', 3, (l) => l.procid.startsWith('worker'));
      assert.deepEqual(workers.map((l) => l.msg), ['line 27 é✓', 'line 30 é✓', 'line 33 é✓']);
      assert.equal((await h.read('b', 10)).length, 0, 'apps do not share lines');
      h.drop('a');
      assert.equal((await h.read('a', 100)).length, 0);
      await h.close();
    });

    test('lines keep their fields exactly', async () => {
      const h = await factory.open();
      const odd: LogLine = { ...line(1), pri: 0, sd: '[x@1 a="b"]', msg: 'two\nlines ', procid: '-' };
      h.deliver('exact', odd);
      h.flush();
      const r = await factory.reopen(h);
      assert.deepEqual(await r.read('exact', 1), [odd]);
      await r.close();
    });
  });
}
