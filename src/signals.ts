// The process events that end a long-running command (watch, wait): SIGINT, SIGTERM, and stdout's
// reader going away (EPIPE, as with `watch | head`). Commands end by returning, never by process.exit.

/** Calls `stop` once on SIGINT / SIGTERM / EPIPE on stdout; returns the function that stops listening. */
export function onTerminate(stop: (why: 'signal' | 'pipe') => void): () => void {
  let fired = false;
  const fire = (why: 'signal' | 'pipe'): void => {
    if (fired) return;
    fired = true;
    stop(why);
  };
  const onSignal = (): void => fire('signal');
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
