// `sluice run -a APP -d worker.1 -- CMD…`: runs a process, ships its stdout and stderr line by
// line (source `app`), passes signals on and exits with the process's exit code.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Command } from 'commander';
import { LineSplitter } from '../shipper/line-splitter.js';
import type { Stream } from '../shipper/shipper.js';
import { CliError } from './client.js';
import { resolveTarget, startShipper, withShipOptions, type ShipFlags } from './ship.js';

/** Signals passed on to the child. SIGUSR1 is Node's debugger signal; SIGKILL/SIGSTOP cannot be caught. */
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
/** After the child exits, how long to wait for a grandchild still holding its stdout/stderr. */
const PIPE_GRACE_MS = 2_000;

export function runCommand(): Command {
  return withShipOptions(new Command('run'), 'run.1')
    .description('run a command and ship its stdout and stderr line by line into an app’s log (source app)')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .passThroughOptions()
    .action(async (argv: string[], f: ShipFlags) => {
      if (argv.length === 0) throw new CliError('Nothing to run: sluice run -a APP -- CMD [ARGS…]');
      const target = await resolveTarget(f);
      const { shipper, finish } = startShipper(f, target, 'sluice run');

      const child = spawn(argv[0], argv.slice(1), {
        stdio: ['inherit', 'pipe', 'pipe'],
        env: { ...process.env, DYNO: process.env.DYNO ?? f.dyno },
      });
      const relay = (sig: NodeJS.Signals) => (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill(sig);
      };
      const handlers = FORWARDED.map((sig) => [sig, relay(sig)] as const);
      for (const [sig, h] of handlers) process.on(sig, h);

      const pipe = (from: NodeJS.ReadableStream, stream: Stream, echo: NodeJS.WriteStream): void => {
        const splitter = new LineSplitter();
        from.on('data', (chunk: Buffer) => {
          if (f.echo) echo.write(chunk);
          for (const l of splitter.push(chunk)) shipper.write(l, stream);
        });
        from.on('end', () => {
          for (const l of splitter.end()) shipper.write(l, stream);
        });
      };
      pipe(child.stdout, 'stdout', process.stdout);
      pipe(child.stderr, 'stderr', process.stderr);
      process.stdout.on('error', () => {});
      process.stderr.on('error', () => {});

      const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
        child.once('error', (error) => resolve({ code: 127, signal: null, error }));
        child.once('exit', (code, signal) => {
          // 'close' comes once stdout and stderr are drained; a daemonised grandchild may hold
          // them open forever, so it gets a grace period, not a veto.
          const timer = setTimeout(() => {
            child.stdout.destroy();
            child.stderr.destroy();
            resolve({ code, signal });
          }, PIPE_GRACE_MS);
          child.once('close', () => {
            clearTimeout(timer);
            resolve({ code, signal });
          });
        });
      });
      if (outcome.error) process.stderr.write(`sluice run: cannot run ${argv[0]}: ${outcome.error.message}\n`);

      await finish();
      for (const [sig, h] of handlers) process.off(sig, h);
      if (outcome.signal) {
        // Die of the same signal, so our parent sees what happened to the child.
        process.kill(process.pid, outcome.signal);
        process.exit(128 + (constants.signals[outcome.signal] ?? 0));
      }
      process.exit(outcome.code ?? 1);
    });
}
