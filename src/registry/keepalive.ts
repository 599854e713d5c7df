// `register --keepalive`: renews the TTL of written records until told to stop, and writes them again
// when it was lost. Backend-agnostic (works on a RecordStore); reports what happens through callbacks.
import { UnavailableError } from '../errors.js';
import type { OwnWatch, Reclaim, RecordStore, Written } from './store.js';

export interface KeepAliveReport {
  /** etcd stopped answering (first failure of a run of failures). */
  unreachable(error: UnavailableError): void;
  /** etcd answered again after failures; `downMs` is how long it did not. */
  reachable(downMs: number): void;
  /** The TTL was lost (expired or revoked): the records are being written again. */
  lost(): void;
  /** The records were written again. */
  rewritten(written: Written): void;
  /** A key of ours was deleted or replaced by another writer while the lease lived, and written back. */
  reclaimed?(reclaim: Reclaim): void;
}

export interface KeepAliveTiming {
  /** Between renewals while etcd answers (default TTL/3, as etcd's own clients do). */
  intervalMs?: number;
  /** Between attempts while it does not (default 1s, or the interval when shorter). */
  retryMs?: number;
}

/** Resolves after `ms`, at once when the signal aborts, or when `setWake`'s function is called. */
function pause(ms: number, signal: AbortSignal, setWake: (wake: (() => void) | undefined) => void = () => undefined): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      setWake(undefined);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    setWake(done);
  });
}

/**
 * Keeps `written` alive until `signal` aborts and returns what is written then (a new lease after a
 * loss), so the caller can remove exactly that. A request in flight is finished first, so the caller
 * never misses a lease. Errors other than "etcd did not answer" (e.g. permission) end the loop.
 */
export async function keepAlive(store: RecordStore, written: Written, signal: AbortSignal, report: KeepAliveReport, timing: KeepAliveTiming = {}): Promise<Written> {
  const intervalMs = timing.intervalMs ?? Math.max(200, (written.ttl * 1000) / 3);
  const retryMs = timing.retryMs ?? Math.min(1000, intervalMs);
  let current = written;
  let downSince: number | undefined;
  // The keys are watched so that one deleted or overwritten is written back at once; each renewal also
  // looks at them, so a lost watch costs at most one interval.
  let wake: (() => void) | undefined;
  let changed = false;
  let own: OwnWatch | undefined;
  const watch = async (fromNow = false): Promise<void> => {
    own?.stop();
    own = undefined;
    if (!store.watchOwn || signal.aborted) return;
    own = await store
      .watchOwn(
        current,
        () => {
          changed = true;
          wake?.();
        },
        fromNow,
      )
      .catch(() => undefined);
  };
  await watch();
  try {
    while (!signal.aborted) {
      if (!changed) await pause(downSince === undefined ? intervalMs : retryMs, signal, (w) => (wake = w));
      if (signal.aborted) break;
      changed = false;
      try {
        // Also when woken by the watch: a revoked lease takes its keys with it, and is a loss, not a theft.
        let alive = await store.renew(current);
        let reclaims: Reclaim[] = [];
        if (alive) {
          try {
            reclaims = (await store.reclaim?.(current)) ?? [];
          } catch (e) {
            // The lease ended between the renewal and the write-back.
            if (!/lease not found/i.test((e as Error).message)) throw e;
            alive = false;
          }
        }
        if (!alive) {
          if (downSince !== undefined) report.reachable(Date.now() - downSince);
          downSince = undefined;
          report.lost();
          current = await store.write(current.records, current.ttl);
          report.rewritten(current);
          await watch();
          continue;
        }
        for (const r of reclaims) report.reclaimed?.(r);
        if (downSince !== undefined) {
          report.reachable(Date.now() - downSince);
          downSince = undefined;
        }
        // Reopened after a loss from now on: the keys were just looked at.
        if (own === undefined || own.ended()) await watch(true);
      } catch (e) {
        if (!(e instanceof UnavailableError)) throw e;
        if (downSince === undefined) {
          downSince = Date.now();
          report.unreachable(e);
        }
      }
    }
  } finally {
    own?.stop();
  }
  return current;
}
