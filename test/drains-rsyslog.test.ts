// Debian's rsyslog (with its GnuTLS module) as a TLS syslog receiver: every drained line is
// stored intact. rsyslog runs as our own child (`-n -f CONF -i PIDFILE`), never the system
// service, on a free 127.0.0.1 port, and is stopped by its PID.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { requireProgram, skipOrFail } from './helpers/external.js';
import { freePort, harness, logLine, makeCerts, removeDir, tmpDir, until, type Certs, type Harness } from './drains-support.js';

const GTLS = ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so'];

let proc: ChildProcess | undefined;
let h: Harness | undefined;
let certs: Certs | undefined;
let work: string | undefined;

after(async () => {
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    const p = proc;
    p.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        p.kill('SIGKILL');
        resolve();
      }, 5_000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
  await h?.close();
  if (certs) removeDir(certs.dir);
  if (work) removeDir(work);
});

test('rsyslog over TLS stores every drained line intact (UTF-8, trailing newlines, L10-free)', { timeout: 60_000 }, async (t) => {
  if (!requireProgram(t, 'rsyslogd')) return;
  if (!GTLS.some((f) => existsSync(f))) {
    skipOrFail(t, 'rsyslog-gnutls', 'lmnsd_gtls.so not found (apt-get install rsyslog-gnutls)');
    return;
  }
  certs = makeCerts();
  work = tmpDir('sluice-rsyslog-');
  const port = await freePort();
  const out = path.join(work, 'out.log');
  const conf = path.join(work, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(
  workDirectory="${work}"
  DefaultNetstreamDriver="gtls"
  DefaultNetstreamDriverCAFile="${certs.caFile}"
  DefaultNetstreamDriverCertFile="${certs.certFile}"
  DefaultNetstreamDriverKeyFile="${certs.keyFile}"
  maxMessageSize="64k"
)
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
input(type="imtcp" port="${port}" address="127.0.0.1")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="${out}" template="raw")
`,
  );
  let stderr = '';
  proc = spawn('rsyslogd', ['-n', '-f', conf, '-i', path.join(work, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  proc.stdout!.on('data', (c: Buffer) => (stderr += c.toString()));

  h = await harness({ ca: certs.ca });
  const d = await h.addDrain(`syslog+tls://localhost:${port}`);
  const msgs: string[] = [];
  for (let i = 0; i < 200; i++) msgs.push(i % 3 === 0 ? `ünïcödé line ${i} ✓ 日本語` : i % 3 === 1 ? `plain line ${i}` : `newline-terminated ${i}\n`);
  // rsyslog may take a moment to listen: the drain retries with backoff meanwhile.
  for (const m of msgs) h.manager.deliver(h.appId, logLine(m, { procid: 'worker.2' }));
  const read = (): string[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : []);
  const ok = await until(() => read().length >= msgs.length, 30_000, 100);
  assert.ok(ok, `rsyslog stored ${read().length}/${msgs.length} lines; drain ${JSON.stringify(h.manager.health(d.id))}\n${stderr}`);
  const stored = read();
  assert.equal(stored.length, msgs.length);
  for (let i = 0; i < msgs.length; i++) {
    const want = msgs[i].replace(/\n$/, '');
    assert.match(stored[i], new RegExp(`^<190>1 \\S+ ${d.token.replace(/\./g, '\\.')} app worker\\.2 - - `));
    assert.equal(stored[i].slice(stored[i].indexOf(' - - ') + 5), want, `line ${i}`);
  }
  assert.equal(h.manager.health(d.id)?.dropped, 0);
});
