// HTTP drain batches (SPEC §4.1): one queued block of `application/logplex-1` frames, with an L10
// frame first when lines were lost, under a Frame-Id that the block's position fixes for good.
import { createHash, randomBytes } from 'node:crypto';
import { FRAME_TAG_LENGTH, frameTag } from '../../core/frame-tag.js';
import type { Loss } from '../queue/loss.js';
import type { Block } from '../queue/queue.js';

/** One POST. The body is rebuilt from the block for each attempt: the same bytes every time. */
export interface HttpBatch {
  block: Block;
  frameId: string;
  /** The loss report this batch carries as its first frame, if any. */
  loss: Loss | undefined;
  attempts: number;
}

/** A Frame-Id unique per message (the test message's): the drain's tag, then random digits. */
export const newFrameId = (drainToken: string): string =>
  frameTag(drainToken) + randomBytes(10).toString('hex').toUpperCase();

/**
 * The Frame-Id of the batch that starts at line `first` of a drain: the same on every retry and
 * after a restart (the block's first line number is stored with it in the spool).
 */
export function frameIdFor(drainToken: string, drainId: string, first: number): string {
  return frameTag(drainToken) + createHash('sha256').update(`${drainId}:${first}`).digest('hex').slice(0, 32 - FRAME_TAG_LENGTH).toUpperCase();
}
