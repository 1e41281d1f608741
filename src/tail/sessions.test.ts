// Log sessions: the secret must match and the URL must be opened within the window.
import assert from 'node:assert/strict';
import test, { after } from 'node:test';
import { sessionsContract } from './sessions.case.js';
import { MemorySessions, SessionRegistry } from './sessions.js';

test('a tail session opens with its secret within the window (again, for SSE reconnects), and not after', async () => {
  const reg = new SessionRegistry(200);
  try {
    const s = await reg.create({ appId: 'a', lines: 100, tail: true, filter: {} });
    assert.equal(await reg.open(s.id, 'wrong'), undefined);
    assert.equal((await reg.open(s.id, s.secret))?.id, s.id);
    assert.equal((await reg.open(s.id, s.secret))?.id, s.id, 'may be opened again (SSE reconnects) within the window');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await reg.open(s.id, s.secret), undefined, 'expired');
  } finally {
    reg.close();
  }
});

test('a session without tail is spent by its first open; a wrong secret does not spend it', async () => {
  const reg = new SessionRegistry();
  try {
    const s = await reg.create({ appId: 'a', lines: 100, tail: false, filter: {} });
    assert.equal(await reg.open(s.id, 'wrong'), undefined);
    const both = await Promise.all([reg.open(s.id, s.secret), reg.open(s.id, s.secret)]);
    assert.deepEqual(both.map((x) => x?.id), [s.id, undefined], 'exactly one of two racing readers');
    assert.equal(await reg.open(s.id, s.secret), undefined, 'spent');
  } finally {
    reg.close();
  }
});

test('the secret is long and URL-safe; sessions of a deleted app are gone', async () => {
  const reg = new SessionRegistry();
  try {
    const s = await reg.create({ appId: 'a', lines: 1, tail: true, filter: {} });
    assert.match(s.secret, /^[A-Za-z0-9_-]{43}$/);
    reg.dropApp('a');
    assert.equal(await reg.open(s.id, s.secret), undefined);
  } finally {
    reg.close();
  }
});

// The shared contract, on the memory backend both registries of a node use.
const memoryBackends: MemorySessions[] = [];
after(() => memoryBackends.forEach((m) => m.close()));
sessionsContract('memory', {
  windowMs: 300,
  async open() {
    const backend = new MemorySessions(300);
    memoryBackends.push(backend);
    return { a: new SessionRegistry(300, backend), b: new SessionRegistry(300, backend) };
  },
});
