// The etcd v3 event source of the watch pipeline (src/registry/watch/pipeline.ts): a gRPC watch on one
// prefix, resumed from the last revision seen, and replaced by a fresh read when history was compacted.
import { CliError, UnavailableError } from '../../errors.js';
import type { EtcdClient, RawWatchEvent, WatchStream } from './client.js';
import type { KeySpace } from '../keys.js';
import { explainRevisionError } from '../registry.js';
import type { DeleteReason, EventSource, SourceBatch, SourceChange } from '../watch/pipeline.js';
import { describeLoss, retryDelaysMs, wakeableSleep } from '../watch/retry.js';

/**
 * An etcd v3 prefix as an event source: reads it (the revision comes with the read), watches from the
 * next revision, and keeps the revision to resume from: the last event's + 1, or a progress
 * notification's + 1. A lost stream is reopened from there; a compacted one is replaced by a fresh read
 * (a resync snapshot) and a watch from after it.
 */
export class EtcdEventSource implements EventSource {
  private next = 0n;
  /** The revision the last piece of a fragmented response ended in, and how many of its events were delivered. */
  private partial: { revision: bigint; delivered: number } | undefined;
  private stream: WatchStream | undefined;
  private closed = false;
  private paused = false;
  private sink: (batch: SourceBatch) => void = () => undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: EtcdClient,
    readonly prefix: string,
    readonly spaces: readonly KeySpace[],
    /** watch --since-revision: the first state is read at this revision, so every change after it is replayed. */
    private readonly sinceRevision?: string,
  ) {}

  async start(sink: (batch: SourceBatch) => void): Promise<void> {
    this.sink = sink;
    await this.read(false, this.sinceRevision).catch((e: unknown) => explainRevisionError(this.client, e));
    const stream = await this.open();
    void this.follow(stream);
  }

  async deleteReason(lease: string): Promise<DeleteReason | undefined> {
    try {
      return (await this.client.leaseTtl(lease)) >= 0 ? 'deregistered' : 'expired';
    } catch {
      return undefined;
    }
  }

  pause(): void {
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    this.paused = false;
    this.stream?.resume();
  }

  close(): void {
    this.closed = true;
    this.stream?.close();
    this.wake?.();
  }

  private async read(resync: boolean, at?: string): Promise<void> {
    const { kvs, revision } = await this.client.rangePrefix(this.prefix, at !== undefined ? { revision: at } : {});
    this.next = BigInt(revision) + 1n;
    this.partial = undefined;
    this.sink({ kind: 'snapshot', kvs, revision, resync });
  }

  private async open(): Promise<WatchStream> {
    // A stream lost in the middle of a revision's pieces: the next one starts at that revision, and its
    // events already delivered are dropped once, by count (etcd sends a revision's events in one order).
    // (Kept in this.partial until the new stream delivers: an open that fails must not forget it.)
    let skip = this.partial;
    let skipped = 0;
    const stream = await this.client.openWatch(this.prefix, this.next.toString(), {
      events: (all, revision, fragment) => {
        let events = all;
        if (skip) {
          const { revision: at } = skip;
          let drop = 0;
          while (drop < events.length && drop < skip.delivered && BigInt(events[drop]!.kv.modRevision ?? '0') === at) drop++;
          // What was delivered of that revision, before and now: the count to carry if this piece ends in it too.
          this.partial = { revision: at, delivered: skipped + drop };
          skipped += drop;
          skip = drop < events.length || drop >= skip.delivered ? undefined : { revision: at, delivered: skip.delivered - drop };
          events = events.slice(drop);
          if (events.length === 0) return;
        }
        const changes = events.map((e) => toChange(e));
        const last = BigInt(events[events.length - 1]!.kv.modRevision ?? revision);
        if (fragment) {
          // More of this response follows: resume from this revision, not after it, if the stream is lost.
          const here = events.filter((e) => BigInt(e.kv.modRevision ?? '0') === last).length;
          this.partial = { revision: last, delivered: (this.partial?.revision === last ? this.partial.delivered : 0) + here };
          this.advance((last - 1n).toString());
        } else {
          this.partial = undefined;
          this.advance(last.toString());
        }
        this.sink({ kind: 'changes', changes });
      },
      // etcd sends these to watchers that are caught up only, so everything up to it has arrived.
      progress: (revision) => this.advance(revision),
    });
    this.stream = stream;
    if (this.paused) stream.pause();
    if (this.closed) stream.close();
    return stream;
  }

  private advance(revision: string): void {
    const n = BigInt(revision) + 1n;
    if (n > this.next) this.next = n;
  }

  /** Follows one stream after another until closed; a source lives as long as the command. */
  private async follow(first: WatchStream): Promise<void> {
    let stream = first;
    while (!this.closed) {
      const end = await stream.done;
      this.stream = undefined;
      if (this.closed || end.kind === 'closed') return;
      const compacted = end.kind === 'compacted';
      if (!compacted) this.sink({ kind: 'status', state: 'reconnecting', detail: describeLoss(end.error) });
      const inside = this.partial;
      const next = await this.recover(compacted);
      if (next === undefined) return;
      const within = inside && this.next === inside.revision ? ` (inside revision ${inside.revision}: its first ${inside.delivered} events were shown)` : '';
      if (!compacted) this.sink({ kind: 'status', state: 'resumed', detail: `resumed at revision ${this.next - 1n}${within}` });
      stream = next;
    }
  }

  /** Reopens the watch (after a fresh read when history is gone), retrying while etcd is unreachable. */
  private async recover(needRead: boolean): Promise<WatchStream | undefined> {
    for (let attempt = 0; !this.closed; attempt++) {
      try {
        if (needRead) {
          await this.read(true);
          needRead = false;
        }
        return await this.open();
      } catch (e) {
        if (e instanceof CliError && !(e instanceof UnavailableError)) {
          this.sink({ kind: 'failed', error: e });
          return undefined;
        }
        // The start revision was compacted while we were away: read afresh.
        if (e instanceof Error && /compacted/.test(e.message)) needRead = true;
      }
      await this.sleep(retryDelaysMs[Math.min(attempt, retryDelaysMs.length - 1)]!);
    }
    return undefined;
  }

  private sleep(ms: number): Promise<void> {
    return wakeableSleep(ms, (wake) => (this.wake = wake));
  }
}

function toChange(e: RawWatchEvent): SourceChange {
  if (e.type === 'put') return { kind: 'put', kv: e.kv, revision: e.kv.modRevision ?? '0' };
  const change: SourceChange = { kind: 'delete', key: e.kv.key, revision: e.kv.modRevision ?? '0' };
  if (e.prev) change.prev = e.prev;
  return change;
}
