// What every event source does while etcd is away: the delays between retries, a pause close() can
// cut short, and the one-line reason shown in the `reconnecting` status. Shared by the v3 and v2
// sources (src/registry/v3/watch-source.ts, src/registry/v2/watch-source.ts), which know nothing of
// each other.
/** Retry delays while etcd is away: quick at first, so a watch resumes within ~1 s of etcd's return. */
export const retryDelaysMs = [100, 250, 500, 1000];

/** A retry pause that close() can cut short: `setWake` receives the function that ends it early. */
export function wakeableSleep(ms: number, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    setWake(done);
  });
}

export function describeLoss(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.replace(/^\d+ [A-Z_]+: /, '');
}
