// Syslog over TLS input (SPEC §3.2): a certificate made in the test, octet-counted frames, junk on the port.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { makeCerts, removeDir, type Certs } from './drains-support.js';
import { requireProgram } from './helpers/external.js';
import { makeFrame, rfc5424, startSluice, type Sluice } from './helpers/sluice.js';

let s: Sluice | undefined;
let certs: Certs | undefined;
let tlsPort = 0;
let token = '';

before(async () => {
  if (!requireProgram(undefined, 'openssl')) return;
  certs = makeCerts();
  s = await startSluice({ args: ['--syslog-tls-port', '0', '--tls-cert', certs.certFile, '--tls-key', certs.keyFile] });
  const m = /syslog-tls=(\d+)/.exec(s.output());
  assert.ok(m, s.output());
  tlsPort = Number(m[1]);
  token = await s.createAppWithToken('tlsapp');
});
after(async () => {
  await s?.stop();
  if (certs) removeDir(certs.dir);
});

function send(frames: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port: tlsPort, servername: 'localhost', ca: certs!.ca }, () => {
      sock.end(frames, () => resolve());
    });
    sock.setTimeout(5000, () => reject(new Error('TLS send timed out')));
    sock.on('error', reject);
  });
}

test('octet-counted frames over TLS, verified against the test CA, reach the app in order', async (t) => {
  if (!s) return void t.skip('openssl not installed');
  let frames = '';
  for (let i = 0; i < 50; i++) frames += makeFrame(rfc5424(token, 'web.1', `tls line ${i} ✓`));
  await send(frames);
  const lines = await s.waitForLogs('tlsapp', (l) => l.filter((x) => x.includes('tls line')).length === 50, { source: 'app' });
  assert.deepEqual(
    lines.filter((x) => x.includes('tls line')).map((x) => x.split(': ')[1]),
    Array.from({ length: 50 }, (_, i) => `tls line ${i} ✓`),
  );
  assert.match(lines[0], / app\[web\.1\]: tls line 0 ✓$/);
});

test('plain TCP and garbage on the TLS port are refused without hurting the listener', async (t) => {
  if (!s) return void t.skip('openssl not installed');
  await new Promise<void>((resolve) => {
    const c = net.connect(tlsPort, '127.0.0.1', () => c.end(`${makeFrame(rfc5424(token, 'web.1', 'plaintext'))}\x16\x03\x01garbage`));
    c.on('error', () => resolve());
    c.on('close', () => resolve());
    c.setTimeout(5000, () => c.destroy());
  });
  await send(makeFrame(rfc5424(token, 'web.2', 'after the junk')));
  const lines = await s.waitForLogs('tlsapp', (l) => l.some((x) => x.includes('after the junk')), { source: 'app' });
  assert.ok(!lines.some((x) => x.includes('plaintext')), 'nothing from the plain-TCP client was stored');
});
