// The process events that end a long-running command (watch, wait, register --keepalive): SIGINT,
// SIGTERM, and stdout's reader going away (EPIPE, as with `watch | head`). Commands end by returning,
// never by process.exit.

/** Calls `stop` once on SIGINT / SIGTERM (named) or EPIPE on stdout ('pipe'); returns the function that stops listening. */
export function onTerminate(stop: (why: NodeJS.Signals | 'pipe') => void): () => void {
  let fired = false;
  const fire = (why: NodeJS.Signals | 'pipe'): void => {
    if (fired) return;
    fired = true;
    stop(why);
  };
  const onSignal = (signal: NodeJS.Signals): void => fire(signal);
  const onStdoutError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') fire('pipe');
    else throw err;
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
