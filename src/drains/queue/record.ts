// One spooled block on disk: a 72-byte header (two CRC-32s: header and payload) and the payload,
// the block's frames as they go on the wire, or those deflated (raw deflate, level 1) when that
// saves a tenth or more. Little-endian throughout.
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DoneSet } from './done-set.js';

/** 'SLDQ': where a record starts; a resync after garbage searches for it. */
export const MAGIC = 0x51444c53;
export const HEADER_BYTES = 72;
const MAGIC_BYTES = Buffer.from([0x53, 0x4c, 0x44, 0x51]);

export interface RecordHeader {
  payloadBytes: number;
  lines: number;
  /** Number of the block's first line (per drain, from 0). */
  first: number;
  /** When the block's first line was queued (ms since the epoch). */
  at: number;
  /** What was done when the record was written: lets a restart skip what was delivered since. */
  done: DoneSet;
  /** End line of the record written before this one (any segment): a larger value than the
   *  previous readable record's end means records between were lost. */
  prevEnd: number;
  payloadCrc: number;
  /** 0: the payload is the frames; else it is their raw deflate and this is their length. */
  rawBytes: number;
}

export function encodeHeader(h: RecordHeader): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt32LE(h.payloadBytes, 8);
  b.writeUInt32LE(h.lines, 12);
  b.writeDoubleLE(h.first, 16);
  b.writeDoubleLE(h.at, 24);
  b.writeDoubleLE(h.done.below, 32);
  b.writeDoubleLE(h.done.hole ? h.done.hole[0] : -1, 40);
  b.writeDoubleLE(h.done.hole ? h.done.hole[1] : -1, 48);
  b.writeDoubleLE(h.prevEnd, 56);
  b.writeUInt32LE(h.payloadCrc, 64);
  b.writeUInt32LE(h.rawBytes, 68);
  b.writeUInt32LE(crc32(b.subarray(8)), 4);
  return b;
}

/** The header at `b[0..64)`, or undefined when its magic or checksum is wrong. */
export function decodeHeader(b: Buffer): RecordHeader | undefined {
  if (b.length < HEADER_BYTES || b.readUInt32LE(0) !== MAGIC) return undefined;
  if (crc32(b.subarray(8, HEADER_BYTES)) !== b.readUInt32LE(4)) return undefined;
  const holeA = b.readDoubleLE(40);
  const h: RecordHeader = {
    payloadBytes: b.readUInt32LE(8),
    lines: b.readUInt32LE(12),
    first: b.readDoubleLE(16),
    at: b.readDoubleLE(24),
    done: { below: b.readDoubleLE(32), hole: holeA >= 0 ? [holeA, b.readDoubleLE(48)] : null },
    prevEnd: b.readDoubleLE(56),
    payloadCrc: b.readUInt32LE(64),
    rawBytes: b.readUInt32LE(68),
  };
  const ok = Number.isSafeInteger(h.first) && h.first >= 0 && h.lines > 0 && Number.isSafeInteger(h.done.below) && Number.isSafeInteger(h.prevEnd);
  return ok ? h : undefined;
}

export function payloadCrc(payload: Buffer): number {
  return crc32(payload);
}

/** What a record stores for these frames: deflated when that saves a tenth or more. */
export function packPayload(frames: Buffer): { data: Buffer; rawBytes: number } {
  const d = deflateRawSync(frames, { level: 1 });
  return d.length <= 0.9 * frames.length ? { data: d, rawBytes: frames.length } : { data: frames, rawBytes: 0 };
}

/** The frames of a stored payload; undefined when it does not inflate to `rawBytes`. */
export function unpackPayload(data: Buffer, rawBytes: number): Buffer | undefined {
  if (rawBytes === 0) return data;
  try {
    const b = inflateRawSync(data, { maxOutputLength: rawBytes });
    return b.length === rawBytes ? b : undefined;
  } catch {
    return undefined;
  }
}

/** The next offset ≥ `from` in `b` where a record's magic appears, or -1. */
export function findMagic(b: Buffer, from: number): number {
  return b.indexOf(MAGIC_BYTES, from);
}
