// In-band loop breaking: Sluice knows the drain tokens it sends (the `Logplex-Drain-Token` header
// of HTTP drains, the HOSTNAME `d.<token>` of syslog drain frames), so input that carries one of
// them is one of its own drains delivering back into it — directly, or through another node of the
// same cluster. Such input is dropped and counted; without this one seed line circulates forever.
import { FRAME_TAG_LENGTH, frameTag } from '../core/frame-tag.js';
import type { ConfigStore } from '../store/contract.js';

export interface LoopEvent {
  /** The drain whose output came back (its id: the token is a credential and never logged). */
  drainId: string;
  appId: string;
  /** Lines dropped by this occurrence. */
  lines: number;
  via: 'http' | 'syslog' | 'frame-id';
}

/** At most one report per drain per this interval; the counter counts every line. */
const REPORT_EVERY_MS = 60_000;

export class LoopGuard {
  /** Lines dropped because they came from one of this cluster's own drains. */
  dropped = 0;
  /** Told (rate-limited per drain) when a loop is broken: the server log. */
  onLoop: ((e: LoopEvent & { droppedSinceLastReport: number }) => void) | undefined;
  private tokens: Map<string, { drainId: string; appId: string }> | undefined;
  private tags: Map<string, { drainId: string; appId: string }> | undefined;
  private readonly reported = new Map<string, { at: number; pending: number }>();

  constructor(private readonly store: ConfigStore) {
    store.onChange((kind) => {
      if (kind === 'drain') this.tokens = this.tags = undefined; // rebuilt on next use
    });
  }

  /**
   * True when `token` (a `Logplex-Drain-Token` header or a syslog HOSTNAME) is one of our drain
   * tokens: the caller drops the `lines` it carried. Cheap for everything else: tokens all start "d.".
   */
  isLoop(token: string | string[] | undefined, lines: number, via: LoopEvent['via']): boolean {
    if (typeof token !== 'string' || token.length < 38 || token.charCodeAt(0) !== 0x64 /* d */ || token.charCodeAt(1) !== 0x2e) return false;
    const hit = this.known().get(token.trim().toLowerCase());
    if (!hit) return false;
    this.dropped += lines;
    this.report({ ...hit, lines, via });
    return true;
  }

  /**
   * True when `frameId` (a `Logplex-Frame-Id` header) opens with one of our drains' tags
   * (src/core/frame-tag.ts): our own batch came back, whatever relayed it.
   */
  isLoopFrame(frameId: string | string[] | undefined, lines: number): boolean {
    if (typeof frameId !== 'string' || frameId.length !== 32) return false;
    if (!this.tags) {
      const m = new Map<string, { drainId: string; appId: string }>();
      for (const [token, d] of this.known()) m.set(frameTag(token), d);
      this.tags = m;
    }
    const hit = this.tags.get(frameId.slice(0, FRAME_TAG_LENGTH).toUpperCase());
    if (!hit) return false;
    this.dropped += lines;
    this.report({ ...hit, lines, via: 'frame-id' });
    return true;
  }

  private known(): Map<string, { drainId: string; appId: string }> {
    if (this.tokens) return this.tokens;
    const m = new Map<string, { drainId: string; appId: string }>();
    for (const d of this.store.listDrains()) m.set(d.token.toLowerCase(), { drainId: d.id, appId: d.app_id });
    this.tokens = m;
    return m;
  }

  private report(e: LoopEvent): void {
    const now = Date.now();
    const r = this.reported.get(e.drainId) ?? { at: 0, pending: 0 };
    r.pending += e.lines;
    if (now - r.at >= REPORT_EVERY_MS) {
      this.onLoop?.({ ...e, droppedSinceLastReport: r.pending });
      r.at = now;
      r.pending = 0;
    }
    this.reported.set(e.drainId, r);
    if (this.reported.size > 10_000) this.reported.clear(); // bounded: drains come and go
  }
}
