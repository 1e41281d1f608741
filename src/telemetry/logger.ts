// The process's own structured log: pino, JSON lines to stdout by default, pretty on a TTY.
import { pino, type Logger as PinoLogger, type DestinationStream, type LevelWithSilent } from 'pino';
import { redactText } from '../core/redact.js';
import { prettyDestination } from './pretty.js';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type LogFormat = 'auto' | 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

export interface LoggerOptions {
  level?: LogLevel;
  /** `auto` (the default): pretty when stdout is a terminal, JSON lines otherwise. */
  format?: LogFormat;
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
    o.destination ?? stdoutDestination(o.format ?? 'auto'),
  );
}

/**
 * Synchronous writes: the log is low-volume by design (repeated events are summarised), and a
 * line written before a crash or `kill -9` must not sit in a buffer that dies with the process.
 */
function stdoutDestination(format: LogFormat): DestinationStream {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  return pretty ? prettyDestination(1, process.stdout.hasColors?.() === true) : pino.destination({ dest: 1, sync: true });
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
