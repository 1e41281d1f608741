// The process's own structured log: pino, JSON lines to stdout by default, pretty on a TTY.
import { pino, type Logger as PinoLogger, type DestinationStream, type LevelWithSilent } from 'pino';
import { redactText } from '../core/redact.js';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout when absent. Tests pass a stream they read back. */
  destination?: DestinationStream;
}

/**
 * Every message and string field is passed through `redactText` before it is written, so a
 * token or key that slips into an error text never reaches the log (SPEC §10).
 */
export function createLogger(o: LoggerOptions = {}): Logger {
  return pino(
    {
      level: o.level ?? 'info',
      base: { name: 'sluice' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a: unknown) => (typeof a === 'string' ? redactText(a) : a && typeof a === 'object' ? scrubObject(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    o.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing: the default for embedded use and unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

function scrubObject(o: object): unknown {
  if (o instanceof Error) return { type: o.name, message: redactText(o.message) };
  if (Array.isArray(o)) return o.map((v: unknown) => (typeof v === 'string' ? redactText(v) : v));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = typeof v === 'string' ? redactText(v) : v instanceof Error ? { type: v.name, message: redactText(v.message) } : v;
  }
  return out;
}
