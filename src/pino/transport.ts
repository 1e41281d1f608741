// `sluice/pino`: a pino transport that ships a Node program's log lines into an app's log
// (source `app`) through the same shipper as `sluice run` — batching, keep-alive, L12/L13.
//
//   pino({ transport: { target: 'sluice/pino', options: { url, token, dyno } } })
//
// A pino transport is a module whose default export returns a Writable; pino runs it in a
// worker thread and writes newline-delimited JSON into it. At exit pino ends the stream and
// waits (up to 10 s) for it to close, so `final` delivers what is left within `flushTimeoutMs`.
import { Writable } from 'node:stream';
import { LineSplitter } from '../shipper/line-splitter.js';
import { defaultStateDir, lossFilePath, saveLosses, takeLosses } from '../shipper/loss-file.js';
import { parseTarget } from '../shipper/sender.js';
import { Shipper } from '../shipper/shipper.js';

export interface SluicePinoOptions {
  /** Sluice base URL (`http://127.0.0.1:8601`) or a log input URL with the token as userinfo. Default SLUICE_URL. */
  url?: string;
  /** Log token (`t.…`); default SLUICE_LOG_TOKEN, or the URL's userinfo. */
  token?: string;
  /** PROCID of the lines; default DYNO, else `web.1`. */
  dyno?: string;
  /** Lines held while Sluice is slow or away (default 10,000); overflow is reported as L12. */
  bufferLines?: number;
  /** Tries per batch (default 5); a batch given up on is reported as L13. */
  attempts?: number;
  /** How long to keep delivering when the program exits (default 5 s; pino waits at most 10 s). */
  flushTimeoutMs?: number;
}

export default function sluiceTransport(opts: SluicePinoOptions = {}): Writable {
  const target = parseTarget(opts.url ?? process.env.SLUICE_URL ?? 'http://127.0.0.1:8601', opts.token ?? process.env.SLUICE_LOG_TOKEN);
  const dyno = opts.dyno ?? process.env.DYNO ?? 'web.1';
  const lossFile = lossFilePath(defaultStateDir(), target, dyno);
  const say = (s: string): boolean => process.stderr.write(`sluice/pino: ${s}\n`);
  const shipper = new Shipper({
    target,
    dyno,
    bufferLines: opts.bufferLines,
    attempts: opts.attempts,
    carryOver: takeLosses(lossFile),
    onEvent: (e) => {
      if (e.kind === 'lost') say(`could not deliver ${e.lines} log lines (${e.reason}); reported as L13 when Sluice answers`);
      else if (e.kind === 'overflow') say(`buffer full (${e.bufferLines} lines): dropping the oldest, reported as L12`);
    },
  });
  const splitter = new LineSplitter();
  return new Writable({
    write(chunk: Buffer, _encoding, cb) {
      for (const line of splitter.push(chunk)) shipper.write(line);
      cb();
    },
    final(cb) {
      for (const line of splitter.end()) shipper.write(line);
      shipper.close(opts.flushTimeoutMs ?? 5_000).then(
        (left) => {
          try {
            saveLosses(lossFile, left);
          } catch {
            /* a read-only home: the next run simply cannot report them */
          }
          cb();
        },
        (err: Error) => cb(err),
      );
    },
    destroy(err, cb) {
      shipper.destroy().then(
        () => cb(err),
        () => cb(err),
      );
    },
  });
}
