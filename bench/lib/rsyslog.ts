// rsyslog as the peer: a private rsyslogd relaying imtcp → omfwd (octet-counted TCP), never the system service.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startService, waitForPort, type Service } from './proc.js';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

export function rsyslogVersion(): string | null {
  if (!existsSync(RSYSLOGD)) return null;
  try {
    return execFileSync(RSYSLOGD, ['-v'], { encoding: 'utf8' }).split('\n')[0].trim().replace(/\s+/g, ' ').replace(/ compiled with:?$/, '');
  } catch {
    return null;
  }
}

export interface Relay {
  service: Service;
  /** imtcp port the load generator connects to. */
  inputPort: number;
  config: string;
  stop: () => Promise<void>;
}

/**
 * The relay config. The input is bound to its own ruleset so rsyslogd's internal messages
 * ("rsyslogd … start") go to the default ruleset, which has no action, and never reach the
 * counting sink. RSYSLOG_SyslogProtocol23Format re-emits RFC 5424 (ending in LF, which the
 * octet count includes), the same shape Sluice's syslog drains send.
 */
export function relayConfig(workDir: string, inputPort: number, sinkPort: number): string {
  return `global(workDirectory="${workDir}" maxMessageSize="8k")
module(load="imtcp")
main_queue(queue.type="FixedArray" queue.size="100000" queue.dequeueBatchSize="1024")
ruleset(name="relay") {
  action(type="omfwd" target="127.0.0.1" port="${sinkPort}" protocol="tcp"
         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}
input(type="imtcp" address="127.0.0.1" port="${inputPort}" ruleset="relay")
`;
}

/** Starts `rsyslogd -n -f CONF -i PIDFILE` in a temp work directory; stop() ends it by PID and cleans up. */
export async function startRelay(sinkPort: number): Promise<Relay> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-rsyslog-'));
  const inputPort = await freePort();
  const config = relayConfig(dir, inputPort, sinkPort);
  const confPath = join(dir, 'rsyslog.conf');
  writeFileSync(confPath, config);
  const service = await startService(RSYSLOGD, ['-n', '-f', confPath, '-i', join(dir, 'rsyslogd.pid')], {});
  const stop = async (): Promise<void> => {
    try {
      await service.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await waitForPort('127.0.0.1', inputPort, 10_000);
  } catch (err) {
    await stop();
    throw new Error(`rsyslogd did not listen: ${(err as Error).message}; output:\n${service.output()}`);
  }
  return { service, inputPort, config, stop };
}
