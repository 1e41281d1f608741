// The disk budget all drains' spools share: `--spool-max-bytes`, and never past 90% of the disk.
import { statfsSync } from 'node:fs';

/** Fraction of the file system the spool may fill, counting everyone else's files too. */
const DISK_SHARE = 0.9;
/** statfs is a syscall: asked again after this long, or after this many bytes were written. */
const STATFS_MS = 1_000;
const STATFS_BYTES = 8 * 1024 * 1024;

export class SpoolBudget {
  /** Bytes of spool files, all drains. */
  used = 0;
  private diskSize = Infinity;
  private diskUsed = 0;
  private checkedAt = 0;
  private writtenSince = 0;

  constructor(
    readonly maxBytes: number,
    private readonly dir: string | undefined,
  ) {}

  /** Whether `bytes` more may be written. */
  fits(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.refreshDisk();
    return this.diskUsed + this.writtenSince + bytes <= DISK_SHARE * this.diskSize;
  }

  /** Whether `bytes` more may be written; counts them as used when so. */
  reserve(bytes: number): boolean {
    if (!this.fits(bytes)) return false;
    this.used += bytes;
    this.writtenSince += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** The disk's own numbers (tests and health). */
  get disk(): { size: number; used: number } {
    return { size: this.diskSize, used: this.diskUsed };
  }

  private refreshDisk(): void {
    if (this.dir === undefined) return;
    const now = Date.now();
    if (now - this.checkedAt < STATFS_MS && this.writtenSince < STATFS_BYTES) return;
    this.checkedAt = now;
    try {
      const s = statfsSync(this.dir);
      this.diskSize = s.blocks * s.bsize;
      this.diskUsed = (s.blocks - s.bavail) * s.bsize;
      this.writtenSince = 0;
    } catch {
      // The directory vanished or statfs is unsupported: the byte budget alone applies.
    }
  }
}
