// Scans what a server wrote (its log, stdout and stderr) for secrets: tokens, keys, URL passwords.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

/** Log tokens as issued (`t.` + UUIDv4), unredacted. */
const LOG_TOKEN = /\bt\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b/i;
/** Generated and test API keys. */
const API_KEY = /\bsk_(?!\[redacted\])[A-Za-z0-9_-]{16,}/;
/** `scheme://user:password@` with anything but the redaction marker as userinfo. */
const USERINFO = /\b[a-z][a-z0-9+.-]*:\/\/(?!\[redacted\]@)[^\s/@"'<>]*:[^\s/@"'<>]+@/i;

/**
 * The secrets a test used, learned from what it sent and got back: the API key, every log
 * token a response carried, drain URL passwords and query values. Scanning for these exact
 * strings catches a leak even when it is not secret-shaped (a drain's `?key=hunter2`).
 */
export class SecretSet {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    if (value && value.length >= 6) this.values.add(value);
  }

  /** A URL's password and query values (`syslog+tls://u:pw@h`, `https://h/p?token=…`). */
  addUrl(raw: string): void {
    try {
      const u = new URL(raw);
      this.add(decodeURIComponent(u.password));
      for (const v of u.searchParams.values()) this.add(v);
    } catch {
      /* not a URL: nothing to learn */
    }
  }

  /** Learns from any JSON: `token`, `secret`, `key` fields and `url`/`logplex_url` values. */
  learn(v: unknown): void {
    if (Array.isArray(v)) for (const x of v) this.learn(x);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (typeof x === 'string') {
          if (/^(token|secret|key|api_key|password)$/i.test(k) && !/^d\./.test(x)) this.add(x);
          if (/url$/i.test(k)) this.addUrl(x);
        } else this.learn(x);
      }
    }
  }

  *[Symbol.iterator](): IterableIterator<string> {
    yield* this.values;
  }
}

/** The secrets found in `text` (described, not quoted), or an empty list. */
export function findSecrets(text: string, known: Iterable<string> = []): string[] {
  const found: string[] = [];
  const shape = (re: RegExp, what: string): void => {
    const m = re.exec(text);
    if (m) found.push(`${what} at offset ${m.index}: …${context(text, m.index)}…`);
  };
  shape(LOG_TOKEN, 'a log token');
  shape(API_KEY, 'an API key');
  shape(USERINFO, 'a URL password');
  for (const s of known) {
    const i = text.indexOf(s);
    if (i >= 0) found.push(`a secret the test used (${s.length} chars) at offset ${i}: …${context(text, i)}…`);
  }
  return found;
}

function context(text: string, i: number): string {
  return text.slice(Math.max(0, i - 60), i).replace(/\n/g, '⏎');
}

export function assertNoSecrets(text: string, known: Iterable<string>, who: string): void {
  const found = findSecrets(text, known);
  if (found.length > 0) throw new Error(`${who} wrote secrets to its output:\n${found.join('\n')}`);
}

/** An in-process logger whose every line is kept, to scan after the server stopped. */
export function capturingLogger(level: 'info' | 'debug' = 'debug'): { logger: Logger; text(): string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString('utf8');
      cb();
    },
  });
  return { logger: createLogger({ level, destination: sink }), text: () => text };
}
