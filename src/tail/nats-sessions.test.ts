// Log sessions on a real 3-server NATS cluster: one made through one node opens at once through another, under load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NatsLink } from '../engine/nats/link.js';
import { startNats } from '../../test/cluster-nats.js';
import { NatsSessions } from './nats-sessions.js';
import { SESSION_OPEN_WINDOW_MS, SessionRegistry } from './sessions.js';

async function registry(url: string): Promise<{ link: NatsLink; sessions: SessionRegistry }> {
  const link = await NatsLink.open({ url });
  // A fresh cluster elects its JetStream leaders first: the bucket is asked for a while.
  for (let i = 0; ; i++) {
    try {
      link.set('ok');
      return { link, sessions: new SessionRegistry(SESSION_OPEN_WINDOW_MS, await NatsSessions.open(link, SESSION_OPEN_WINDOW_MS, async () => {})) };
    } catch (err) {
      if (i > 60) {
        await link.close(); // an open connection would keep this test file from ever exiting
        throw err;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

test('5,000 sessions made through node A, 50 at a time, each opens through node B right after its 201', async (t) => {
  const nats = await startNats(t);
  if (!nats) return;
  t.after(() => nats.stop());
  const a = await registry(nats.url);
  const b = await registry(nats.url);
  t.after(() => Promise.all([a.link.close(), b.link.close()]));
  const WORKERS = 50;
  const EACH = 100;
  const missed: string[] = [];
  let twice = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      for (let i = 0; i < EACH; i++) {
        const s = await a.sessions.create({ appId: 'app', lines: 100, tail: false, filter: {}, priority: false });
        // A direct read may be answered by a replica that has not stored the key yet: that must not be a 404.
        if (!(await b.sessions.open(s.id, s.secret))) missed.push(s.id);
        if (await a.sessions.open(s.id, s.secret)) twice++;
      }
    }),
  );
  assert.deepEqual(missed.slice(0, 5), [], `${missed.length} of ${WORKERS * EACH} sessions were not found through the other node`);
  assert.equal(twice, 0, 'a session without tail opens once');
});
