// Polling with a deadline, instead of sleeping and hoping the state has arrived.

/**
 * Calls `fn` until it returns a value other than undefined/false (returned), or throws after `timeoutMs`
 * with the last error or value seen. Bounded in time and in attempts.
 */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what = 'condition', intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 1;
  let last: unknown;
  for (let attempt = 0; attempt < maxAttempts && Date.now() <= deadline; attempt++) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : String(last)}`);
}

/** Lets `ms` pass where the passing of time itself is what a test is about (an outage of a given length). */
export function elapse(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * What a test that asserts a duration adds to the bound micro-reg promises, for a loaded two-core
 * machine (five test runs, etcds and builds at once). Enough that a busy machine does not fail it,
 * small enough that the bugs such a test is for still do: a missing deadline falls back to the default
 * --timeout of 5 s or to etcd3's retry backoff (up to 30 s), both well past bound + margin for the
 * 1 s timeouts the tests use.
 */
export const loadMarginMs = 2000;
