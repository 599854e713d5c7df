// Polling with a deadline, instead of sleeping and hoping a state has been reached.

/** Calls `fn` every `intervalMs` until it returns something truthy (returned), or fails after `timeoutMs`. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, what = 'condition', intervalMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
