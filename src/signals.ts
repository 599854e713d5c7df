// The process events that end a long-running command (watch, wait, register --keepalive): SIGINT,
// SIGTERM, and stdout's reader going away (EPIPE, as with `watch | head`). Commands end by returning,
// never by process.exit.
import { OutputError } from './errors.js';

/**
 * Calls `stop` once on SIGINT / SIGTERM (named), EPIPE on stdout ('pipe'), or any other error writing
 * stdout ('output', with the error: ENOSPC, EIO); returns the function that stops listening.
 */
export function onTerminate(stop: (why: NodeJS.Signals | 'pipe' | 'output', error?: NodeJS.ErrnoException) => void): () => void {
  let fired = false;
  const fire = (why: NodeJS.Signals | 'pipe' | 'output', error?: NodeJS.ErrnoException): void => {
    if (fired) return;
    fired = true;
    stop(why, error);
  };
  const onSignal = (signal: NodeJS.Signals): void => fire(signal);
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') fire('pipe');
    else fire('output', err);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', onStdoutError);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stdout.off('error', onStdoutError);
  };
}

/** The error for output that could not be written: one line, exit 10. */
export function outputFailed(error: NodeJS.ErrnoException): OutputError {
  return new OutputError(`cannot write to standard output: ${error.code ?? error.message}`, error.code === 'ENOSPC' ? 'the disk or device behind standard output is full' : undefined);
}
