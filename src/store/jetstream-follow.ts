// Follows the configuration bucket with a KV watch: a first snapshot of every key, then each change as it happens.
import type { KV, KvWatchEntry } from '@nats-io/kv';

/**
 * The watch is an ordered consumer over the bucket's stream: it delivers the last value (or
 * delete marker) of every key, then every change, in stream order, and recreates itself after
 * a reconnect. `start` resolves with the snapshot once the initial values are in (the watch
 * marks the last of them as the first "update"); later entries go to `onEntry`.
 */
export class ConfigFollower {
  private stopped = false;
  private stopWatch: (() => void) | undefined;

  constructor(
    private readonly kv: KV,
    private readonly onEntry: (e: KvWatchEntry) => void,
  ) {}

  async start(timeoutMs: number): Promise<Map<string, KvWatchEntry>> {
    const snapshot = new Map<string, KvWatchEntry>();
    const it = await this.kv.watch({ key: '>' });
    this.stopWatch = () => it.stop();
    if (this.stopped) it.stop();
    let initialized!: () => void;
    const ready = new Promise<void>((resolve) => (initialized = resolve));
    let live = false;
    void (async () => {
      for await (const e of it) {
        if (this.stopped) break;
        if (live) {
          this.onEntry(e);
          continue;
        }
        snapshot.set(e.key, e);
        if (e.isUpdate) {
          live = true;
          initialized();
        }
      }
    })().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      ready.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      it.stop();
      throw new Error(`the configuration watch did not deliver its snapshot within ${timeoutMs} ms`);
    }
    return snapshot;
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
  }
}
