// What the shipper puts on the wire: RFC 5424 messages as log-shuttle wrote them, the L12/L13
// lines it reports its own losses with, and the 10,000-byte split of long lines. Pure.

/** log-shuttle's `MaxLineLength`: Logplex keeps at most this many bytes of one line. */
export const MAX_LINE_BYTES = 10_000;

/** local7.info for stdout (log-shuttle's default PRI); local7.err for stderr. */
export const PRI_STDOUT = 190;
export const PRI_STDERR = 187;
/** local5.warning, the PRI of Logplex's own error lines, also used for L12/L13. */
export const PRI_REPORT = 172;

/** RFC 5424 PROCID: 1–128 printable ASCII characters, no space. */
const PROCID = /^[!-~]{1,128}$/;

export function isValidDyno(dyno: string): boolean {
  return PROCID.test(dyno);
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (JavaScript clocks give milliseconds; the rest is 000). */
export function microTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000+00:00`;
}

/**
 * One message: `<PRI>1 TIME shuttle app DYNO - - MSG`. The APP-NAME is a placeholder: Sluice
 * replaces it with the name of the token the request is authenticated with, so the token
 * itself never travels in a frame (log-shuttle put it there; Logplex needed that, we do not).
 */
export function encodeMessage(pri: number, time: string, dyno: string, msg: string): string {
  return `<${pri}>1 ${time} shuttle app ${dyno} - - ${msg}`;
}

/** `Error L12: N messages dropped since T.` — lines dropped because the local buffer was full. */
export const l12Text = (dropped: number, since: Date): string => `Error L12: ${dropped} messages dropped since ${microTime(since)}.`;

/** `Error L13: N messages lost since T.` — lines whose delivery failed after every retry. */
export const l13Text = (lost: number, since: Date): string => `Error L13: ${lost} messages lost since ${microTime(since)}.`;

/**
 * Where to cut `buf` so that the first part has at most `max` bytes and no UTF-8 character is
 * split: back up over continuation bytes (10xxxxxx). A run of continuation bytes longer than a
 * character can be (invalid UTF-8) is cut at `max` anyway, so progress is always made.
 */
export function cutPoint(buf: Uint8Array, max: number): number {
  if (buf.length <= max) return buf.length;
  let cut = max;
  while (cut > max - 4 && cut > 0 && (buf[cut] & 0xc0) === 0x80) cut--;
  return cut > max - 4 && cut > 0 ? cut : max;
}

/** A line split into chunks of at most `max` bytes, as Heroku does: no extra newlines, never dropped. */
export function splitLine(line: Buffer, max = MAX_LINE_BYTES): Buffer[] {
  const out: Buffer[] = [];
  let rest = line;
  while (rest.length > max) {
    const cut = cutPoint(rest, max);
    out.push(rest.subarray(0, cut));
    rest = rest.subarray(cut);
  }
  out.push(rest);
  return out;
}
