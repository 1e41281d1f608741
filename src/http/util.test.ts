// readBody over a real socket: bodies in many chunks, joined in a pooled buffer or by concat, byte for byte.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BufferPool } from '../core/buffer-pool.js';
import { readBody } from './util.js';

/** A server that reads each body with `readBody` and answers with what it read; gives it back to the pool first. */
async function echoServer(pool: BufferPool): Promise<{ port: number; pooled: () => number; close: () => Promise<void> }> {
  let pooled = 0;
  const server = http.createServer((req, res) => {
    readBody(req, 4 << 20, pool).then(
      (body) => {
        const copy = Buffer.from(body); // the answer must not depend on the pooled bytes
        if (pool.release(body)) pooled++;
        res.writeHead(200, { 'Content-Length': copy.length }).end(copy);
      },
      (err: Error) => res.writeHead(413).end(err.message),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, pooled: () => pooled, close: () => new Promise((r) => server.close(() => r())) };
}

/** POSTs `body` written in pieces of `piece` bytes (so the server sees many chunks). */
function post(port: number, body: Buffer, piece: number, chunked = false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = chunked ? {} : { 'Content-Length': body.length };
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    req.on('error', reject);
    let i = 0;
    const more = (): void => {
      if (i >= body.length) return void req.end();
      req.write(body.subarray(i, i + piece));
      i += piece;
      setImmediate(more);
    };
    more();
  });
}

const bodyOf = (seed: number, size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (seed * 31 + i * 7) & 0xff));

test('bodies read in pooled buffers come out byte for byte, concurrently, and the buffers are reused', async () => {
  const pool = new BufferPool(1 << 20, 8 << 20, 64 << 10);
  const s = await echoServer(pool);
  try {
    for (let round = 0; round < 3; round++) {
      const bodies = Array.from({ length: 6 }, (_, k) => bodyOf(round * 10 + k, 50_000 + k * 13_001));
      const answers = await Promise.all(bodies.map((b) => post(s.port, b, 9_000)));
      answers.forEach((a, k) => assert.ok(a.equals(bodies[k]), `round ${round} body ${k}`));
    }
    assert.ok(pool.freeBytes > 0, 'buffers came back to the pool');
    assert.ok(s.pooled() > 0, 'some body was read into a pooled buffer');
  } finally {
    await s.close();
  }
});

test('a body without a declared length, or larger than the pool takes, is joined as before', async () => {
  const pool = new BufferPool(64 << 10, 8 << 20, 64 << 10);
  const s = await echoServer(pool);
  try {
    const chunked = bodyOf(1, 120_000);
    assert.ok((await post(s.port, chunked, 7_000, true)).equals(chunked));
    const large = bodyOf(2, 300_000);
    assert.ok((await post(s.port, large, 30_000)).equals(large));
    assert.equal(pool.freeBytes, 0, 'neither used the pool');
  } finally {
    await s.close();
  }
});
