// Runs the Sessions contract against JetStream KV sessions on a real 3-server NATS cluster, each registry on its own server.
import { after } from 'node:test';
import { NatsLink } from '../engine/nats/link.js';
import { startNats } from '../../test/cluster-nats.js';
import { NatsSessions } from './nats-sessions.js';
import { sessionsContract } from './sessions.case.js';
import { SessionRegistry } from './sessions.js';

const WINDOW_MS = 1_500;
const nats = await startNats(undefined);
const links: NatsLink[] = [];
after(async () => {
  await Promise.all(links.map((l) => l.close()));
  await nats?.stop();
});

/** A registry connected to one server of the cluster only, as a node placed next to it would be. */
async function registry(server: string): Promise<SessionRegistry> {
  const link = await NatsLink.open({ url: server });
  links.push(link);
  // A fresh cluster elects its JetStream leaders first: the bucket is asked for a while.
  for (let i = 0; ; i++) {
    try {
      link.set('ok');
      return new SessionRegistry(WINDOW_MS, await NatsSessions.open(link, WINDOW_MS, async () => {}));
    } catch (err) {
      if (i > 60) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

if (nats) {
  const [s1, s2] = nats.url.split(',');
  sessionsContract('jetstream', {
    windowMs: WINDOW_MS,
    async open() {
      return { a: await registry(s1), b: await registry(s2) };
    },
  });
}
