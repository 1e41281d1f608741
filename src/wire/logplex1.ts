// `application/logplex-1` bodies: strict decoding of a whole HTTP body, and the frame encoder.

const SP = 0x20;
const ZERO = 0x30;
const ONE = 0x31;
const NINE = 0x39;
/** More digits than this cannot be a length under any configurable limit. */
const MAX_LENGTH_DIGITS = 10;

export type LogplexBody =
  | { ok: true; frames: Buffer[] }
  | { ok: false; index: number; reason: string };

function bad(index: number, what: string): LogplexBody {
  return { ok: false, index, reason: `frame ${index}: ${what}` };
}

/**
 * Splits a body of concatenated `<LEN> <MSG>` frames (LEN = bytes of MSG, ASCII decimal,
 * first digit 1–9, nothing between frames) into the messages' bytes.
 *
 * Strict, unlike Logplex's parser, which silently dropped a truncated tail: a rejected request
 * stores nothing (SPEC §3.1), so the whole body is checked before any frame is routed, and the
 * first bad frame's 0-based index and a one-line reason come back for the 400 response.
 * An empty body is valid and holds no frames.
 *
 * The returned frames are subarrays of `body` — no copying; they live as long as it does.
 */
export function decodeLogplexBody(body: Buffer, maxFrameBytes = 10240): LogplexBody {
  const frames: Buffer[] = [];
  const n = body.length;
  let i = 0;
  while (i < n) {
    const index = frames.length;
    const first = body[i];
    if (first === ZERO) {
      const next = body[i + 1];
      if (next >= ZERO && next <= NINE) return bad(index, 'length has a leading zero');
      return bad(index, 'length 0 is not a frame');
    }
    if (first < ONE || first > NINE) return bad(index, 'expected a length');
    let length = 0;
    let j = i;
    while (j < n) {
      const c = body[j];
      if (c < ZERO || c > NINE) break;
      if (j - i === MAX_LENGTH_DIGITS) return bad(index, `length field longer than ${MAX_LENGTH_DIGITS} digits`);
      length = length * 10 + (c - ZERO);
      j++;
    }
    if (j === n) return bad(index, `truncated (declared ${length} bytes, 0 present)`);
    if (body[j] !== SP) return bad(index, 'expected a space after the length');
    if (length > maxFrameBytes) return bad(index, `length ${length} exceeds ${maxFrameBytes}`);
    const from = j + 1;
    const to = from + length;
    if (to > n) return bad(index, `truncated (declared ${length} bytes, ${n - from} present)`);
    frames.push(body.subarray(from, to));
    i = to;
  }
  return { ok: true, frames };
}

/** One frame, `<LEN> <MSG>`, with LEN counted in UTF-8 bytes. */
export function encodeFrame(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}

/** A whole body: the frames concatenated with nothing between them. */
export function encodeFrames(msgs: readonly string[]): string {
  let out = '';
  for (const msg of msgs) out += encodeFrame(msg);
  return out;
}
