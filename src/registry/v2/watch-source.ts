// The etcd v2 keys API as a watch event source (format reference 9): a read, then one long poll per
// event, fed to the same pipeline as the v3 sources. Loaded only by watches that need it.
import { UnavailableError } from '../../errors.js';
import type { KeySpace } from '../keys.js';
import type { V2Client } from './client.js';
import { V2ApiError, type V2Event, V2NotServedError, flattenV2, v2RawKeyValue } from './keys-api.js';
import type { DeleteReason, EventSource, SourceBatch, SourceChange } from '../watch/pipeline.js';
import { describeLoss, retryDelaysMs, wakeableSleep } from '../watch/retry.js';

const v2PutActions = new Set(['set', 'create', 'update', 'compareAndSwap']);
const v2DeleteReasons: Record<string, DeleteReason> = { delete: 'deregistered', compareAndDelete: 'deregistered', expire: 'expired' };

/**
 * One v2 watch event as a source change (format reference 9): set/create/update/compareAndSwap put the
 * key's value; delete/compareAndDelete (deregistered) and expire (expired) take it away, the old value
 * from prevNode. Directories are no records: their creation is skipped, their removal takes every key
 * below them (a recursive delete is one event).
 */
export function v2Change(event: V2Event): SourceChange | undefined {
  const revision = String(event.node.modifiedIndex);
  const reason = Object.hasOwn(v2DeleteReasons, event.action) ? v2DeleteReasons[event.action] : undefined;
  if (event.node.dir) return reason === undefined ? undefined : { kind: 'deleteDir', dir: event.node.key, revision, reason };
  if (reason !== undefined) {
    const change: SourceChange = { kind: 'delete', key: event.node.key, revision, reason };
    const [prev] = flattenV2(event.prevNode);
    if (prev !== undefined && prev.key === event.node.key) change.prev = v2RawKeyValue(prev);
    return change;
  }
  if (!v2PutActions.has(event.action)) return undefined;
  const [leaf] = flattenV2(event.node);
  return leaf === undefined ? undefined : { kind: 'put', kv: v2RawKeyValue(leaf), revision };
}

/** etcd's v2 error "watcher is cleared due to etcd recovery" (a snapshot replaced the store). */
const watcherCleared = 400;

/** How long one long poll waits for an event before asking again (a silently dead connection shows then). */
const v2LongPollMs = 30_000;

/**
 * A directory of etcd's v2 store as an event source: reads it (X-Etcd-Index comes with the read), then
 * long-polls one event at a time from index + 1, continuing from each event's modifiedIndex + 1. etcd
 * keeps the last 1000 events only: when the index was cleared, a fresh read (a resync snapshot) takes
 * over. While etcd is away it retries from the same index, first with polls that return as soon as etcd
 * answers, so that it can say it is back. Alongside the v3 layouts (`auto`) an etcd that serves no v2
 * API is no error: the source then stays empty.
 */
export class V2EventSource implements EventSource {
  readonly spaces: readonly KeySpace[];
  readonly quietRewrites = true;
  private readonly dir: string;
  private next = 0;
  private closed = false;
  private paused = false;
  private inFlight: AbortController | undefined;
  private sink: (batch: SourceBatch) => void = () => undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly client: V2Client,
    space: KeySpace,
    private readonly options: { alongsideV3: boolean; longPollMs?: number },
  ) {
    this.spaces = [space];
    this.dir = space.prefix;
  }

  async start(sink: (batch: SourceBatch) => void): Promise<void> {
    this.sink = sink;
    try {
      await this.read(false);
    } catch (e) {
      if (this.options.alongsideV3 && e instanceof V2NotServedError) return;
      throw e;
    }
    void this.follow();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.inFlight?.abort(new Error('watch closed'));
    this.wake?.();
  }

  private async read(resync: boolean): Promise<void> {
    const tree = await this.client.readTree(this.dir);
    this.next = tree.etcdIndex + 1;
    this.sink({ kind: 'snapshot', kvs: tree.leaves.map(v2RawKeyValue), revision: String(tree.etcdIndex), resync });
  }

  private describe(detail: string): string {
    return this.options.alongsideV3 ? `v2 keys API: ${detail}` : detail;
  }

  /** Polls until closed; a source lives as long as the command. Every loop is one request, or a wait. */
  private async follow(): Promise<void> {
    let lost = false;
    let needRead = false;
    for (let attempt = 0; !this.closed; ) {
      if (this.paused) {
        await this.sleep(1000);
        continue;
      }
      this.inFlight = new AbortController();
      try {
        if (needRead) {
          await this.read(true);
          needRead = false;
          continue;
        }
        // While etcd is away, a poll returns as soon as etcd answers: that is when the watch has resumed.
        const result = await this.client.watchOnce(this.dir, this.next, { signal: this.inFlight.signal, maxWaitMs: lost ? 0 : (this.options.longPollMs ?? v2LongPollMs) });
        if (lost) {
          lost = false;
          attempt = 0;
          this.sink({ kind: 'status', state: 'resumed', detail: this.describe(`resumed at index ${this.next - 1}`) });
        }
        if (result.kind === 'cleared') needRead = true;
        else if (result.kind === 'event') {
          this.next = result.event.nextIndex;
          const change = v2Change(result.event);
          if (change !== undefined) this.sink({ kind: 'changes', changes: [change] });
        }
      } catch (e) {
        if (this.closed) return;
        // errorCode 400 "watcher is cleared due to etcd recovery": history is gone as with 401.
        if (e instanceof V2ApiError && e.errorCode === watcherCleared) {
          needRead = true;
          continue;
        }
        // Refused credentials, an answer that makes no sense: retrying will not help.
        if (!(e instanceof UnavailableError)) {
          this.sink({ kind: 'failed', error: e });
          return;
        }
        if (!lost) {
          lost = true;
          this.sink({ kind: 'status', state: 'reconnecting', detail: this.describe(describeLoss(e)) });
        }
        await this.sleep(retryDelaysMs[Math.min(attempt++, retryDelaysMs.length - 1)]!);
      } finally {
        this.inFlight = undefined;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return wakeableSleep(ms, (wake) => (this.wake = wake));
  }
}
