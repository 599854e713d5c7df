// Fail-over across etcd cluster members, shared by the v3 (gRPC) and v2 (HTTP) clients: one overall
// deadline for a request, however many members it tries, so a command never takes longer than
// --timeout because a member is down or frozen.

export interface FailoverOptions {
  /** How many members there are; they are tried in the order 0, 1, … */
  members: number;
  /** Epoch ms when the request as a whole gives up. */
  deadline: number;
  /**
   * Reads only (safe to send twice): when the member being asked has been silent this long, ask the
   * next one too and take the first answer. A frozen member (SIGSTOP, a dead network path) accepts
   * connections and never answers; without this, it would eat the whole deadline. Writes leave it
   * undefined: the next member is asked only once the previous one has failed.
   */
  hedgeAfterMs?: number | undefined;
  /** Whether an error means "this member did not answer", so another member may; other errors are the cluster's answer. */
  unanswered: (err: unknown) => boolean;
}

/**
 * Runs `attempt` on members in turn until one answers. `signal` is aborted once the request is settled,
 * so attempts still running can drop their timers. Resolves with the answer and the member that gave it;
 * rejects with the first error that is an answer, or the last "no answer" error when every member failed
 * or the deadline passed.
 */
export function failover<T>(attempt: (member: number, signal: AbortSignal) => Promise<T>, opts: FailoverOptions): Promise<{ value: T; member: number }> {
  return new Promise((resolve, reject) => {
    const done = new AbortController();
    let next = 0;
    let running = 0;
    let lastError: unknown;
    let hedgeTimer: NodeJS.Timeout | undefined;
    const settle = (fn: () => void): void => {
      if (done.signal.aborted) return;
      clearTimeout(hedgeTimer);
      done.abort();
      fn();
    };
    const launch = (): void => {
      clearTimeout(hedgeTimer);
      if (done.signal.aborted || next >= opts.members) return;
      // Writes: never start another member after the deadline. The first attempt always runs.
      if (next > 0 && Date.now() >= opts.deadline) {
        if (running === 0) settle(() => reject(lastError));
        return;
      }
      const member = next++;
      running++;
      if (opts.hedgeAfterMs !== undefined && next < opts.members) hedgeTimer = setTimeout(launch, opts.hedgeAfterMs);
      attempt(member, done.signal).then(
        (value) => settle(() => resolve({ value, member })),
        (err: unknown) => {
          running--;
          if (done.signal.aborted) return;
          if (!opts.unanswered(err)) return settle(() => reject(err));
          lastError = err;
          if (next < opts.members && Date.now() < opts.deadline) launch();
          else if (running === 0) settle(() => reject(lastError));
        },
      );
    };
    launch();
  });
}

/** How long a read waits for one member before also asking the next: a slice of the deadline, 100 ms to 1 s. */
export function hedgeDelay(timeoutMs: number, members: number): number | undefined {
  if (members < 2) return undefined;
  return Math.min(1000, Math.max(100, Math.floor(timeoutMs / (members + 1))));
}

/** The member order for a request: the one that answered last first, then the others as given. */
export function memberOrder(preferred: number, members: number): number[] {
  return Array.from({ length: members }, (_, i) => (preferred + i) % members);
}

/**
 * The deadline of one write attempt when `membersLeft` members (this one included) may still be asked:
 * an equal share of the time left, so a silent member hands the write on with time to spare for the
 * others. The last member gets all that is left.
 */
export function writeAttemptDeadline(deadline: number, membersLeft: number, now = Date.now()): number {
  if (membersLeft <= 1 || now >= deadline) return deadline;
  return now + Math.floor((deadline - now) / membersLeft);
}
