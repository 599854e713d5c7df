// The resumable event stream behind `watch` (and `wait`): event sources report raw key changes, or a
// fresh full read when history was lost; one pipeline turns them into registry events against the state
// the viewer has seen. The pipeline and `diffRecords` know nothing of etcd: a v3 (gRPC watch) source and
// a v2 (HTTP long-poll) source feed the same pipeline, handed to it by
// src/registry/event-sources.ts; the pipeline imports neither.
import { type RawKeyValue, decodeRecordIn } from '../codec.js';
import type { KeySpace } from '../keys.js';
import type { MalformedRecord, NodeRecord } from '../model.js';

export type WatchAction = 'create' | 'update' | 'delete';
export type DeleteReason = 'deregistered' | 'expired';

/** One change of one node, as the viewer sees it. */
export interface RegistryEvent {
  action: WatchAction;
  /** create / update: the node now; delete: the node as it was. */
  record: NodeRecord;
  /** update: the node before. */
  previous?: NodeRecord;
  /** The etcd revision (v2: store index) of the change, or of the read a resync came from. */
  revision: string;
  /** When micro-reg learnt of it: etcd keeps no time with a change. */
  time: Date;
  reason?: DeleteReason;
  /** Made up by diffing a fresh read against what was shown, after history was lost (compaction). */
  resync?: boolean;
}

/** A key change as a source reports it, before decoding. */
export type SourceChange =
  | { kind: 'put'; kv: RawKeyValue; revision: string }
  | { kind: 'delete'; key: string; prev?: RawKeyValue; revision: string; reason?: DeleteReason }
  /** v2: a directory went (a recursive delete, or its TTL ran out), and every key below it with it. */
  | { kind: 'deleteDir'; dir: string; revision: string; reason: DeleteReason };

export type SourceBatch =
  /** The changes of one response, in order. */
  | { kind: 'changes'; changes: SourceChange[] }
  /** Every key of the source at `revision`: the start, or a resync when `resync` is set. */
  | { kind: 'snapshot'; kvs: RawKeyValue[]; revision: string; resync: boolean }
  | { kind: 'status'; state: 'reconnecting' | 'resumed'; detail: string }
  /** The source cannot go on (refused credentials, …). */
  | { kind: 'failed'; error: unknown };

export interface EventSource {
  /** Which layouts' key spaces this source's keys belong to (micro and domain share a prefix). */
  readonly spaces: readonly KeySpace[];
  /**
   * Writers re-set unchanged values to renew a TTL (the v2 plugin re-sets every node key every
   * interval): a put whose value equals the record shown is a heartbeat, not reported, and a resync
   * compares values rather than indexes.
   */
  readonly quietRewrites?: boolean;
  /** Reads the current state and starts following it; bounded by the request deadline. Batches go to `sink`. */
  start(sink: (batch: SourceBatch) => void): Promise<void>;
  /** deregistered (the lease lives on) or expired (the lease is gone); undefined when it cannot tell. */
  deleteReason?(lease: string): Promise<DeleteReason | undefined>;
  pause(): void;
  resume(): void;
  close(): void;
}

/** A change worked out by comparing two states, before it gets a time and revision. */
export interface RecordChange {
  action: WatchAction;
  record: NodeRecord;
  previous?: NodeRecord;
}

/** The same node on the same lease: what a viewer would see as no change at all. */
function sameValue(a: NodeRecord, b: NodeRecord): boolean {
  return a.lease === b.lease && JSON.stringify(a.service) === JSON.stringify(b.service);
}

function sameRecord(a: NodeRecord, b: NodeRecord): boolean {
  if (a.modRevision !== undefined && b.modRevision !== undefined) return a.modRevision === b.modRevision;
  return sameValue(a, b);
}

/**
 * What takes a viewer from one state (records by key) to another: the deletes, then the creates and
 * updates, each in key order. A key re-written since (another mod revision) is an update even when its value is the same,
 * as the live stream would have shown it; with `byValue` (sources with quiet rewrites) it is not.
 */
export function diffRecords(before: ReadonlyMap<string, NodeRecord>, after: ReadonlyMap<string, NodeRecord>, opts: { byValue?: boolean } = {}): RecordChange[] {
  const same = opts.byValue ? sameValue : sameRecord;
  const out: RecordChange[] = [];
  for (const key of [...before.keys()].sort()) {
    if (!after.has(key)) out.push({ action: 'delete', record: before.get(key)! });
  }
  for (const key of [...after.keys()].sort()) {
    const now = after.get(key)!;
    const was = before.get(key);
    if (was === undefined) out.push({ action: 'create', record: now });
    else if (!same(was, now)) out.push({ action: 'update', record: now, previous: was });
  }
  return out;
}

export type RecordFilter = (record: NodeRecord) => boolean;

export interface PipelineHandlers {
  event(event: RegistryEvent): void;
  /**
   * Back-pressure from the output: a promise while it cannot take more (stdout's buffer is full because
   * its reader is slower than the writers), resolved once it can. The next batch waits for it, the queue
   * grows, and past the high-water mark the sources are paused, so etcd holds what was not read yet.
   */
  ready?(): Promise<void> | undefined;
  status(state: 'reconnecting' | 'resumed', detail: string): void;
  malformed(m: MalformedRecord): void;
  failed(error: unknown): void;
}

/** Lease lookups started ahead of the events of one batch. */
const maxLeaseLookupsAhead = 256;

/** Batches (or bytes) waiting before the sources are paused; memory stays bounded when output is slow. */
const highWater = 256;
const lowWater = 32;
const highWaterBytes = 8 * 1024 * 1024;
const lowWaterBytes = 2 * 1024 * 1024;

/** About what a batch holds in memory: its keys and values (a watch response is mostly values and prev values). */
function batchBytes(batch: SourceBatch): number {
  const kvBytes = (kv: RawKeyValue | undefined): number => (kv ? kv.key.length + kv.value.length : 0);
  if (batch.kind === 'snapshot') return batch.kvs.reduce((n, kv) => n + kvBytes(kv), 0);
  if (batch.kind !== 'changes') return 0;
  let n = 0;
  for (const c of batch.changes) n += c.kind === 'put' ? kvBytes(c.kv) : c.kind === 'delete' ? c.key.length + kvBytes(c.prev) : c.dir.length;
  return n;
}

interface SourceState {
  source: EventSource;
  /** Every decoded record of the source, shown or not, by key. */
  records: Map<string, NodeRecord>;
}

/**
 * Applies source batches, one at a time and in order, to the state and turns them into events for the
 * records the filter lets through. A put that makes a record match is a create for the viewer, one
 * that makes it stop matching a delete.
 */
export class WatchPipeline {
  private readonly states: SourceState[];
  private queue: { state: SourceState; batch: SourceBatch; bytes: number }[] = [];
  private queuedBytes = 0;
  private draining = false;
  private paused = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  /** The highest revision applied, for messages. */
  revision = '0';

  constructor(
    sources: readonly EventSource[],
    private readonly filter: RecordFilter,
    private readonly handlers: PipelineHandlers,
    private readonly options: { initial: boolean; now?: () => Date } = { initial: false },
  ) {
    this.states = sources.map((source) => ({ source, records: new Map() }));
  }

  /** Starts every source; the first snapshots are applied before this resolves. */
  async start(): Promise<void> {
    await Promise.all(this.states.map((state) => state.source.start((batch) => this.push(state, batch))));
    await this.idle();
  }

  /** The records shown now, across sources. */
  shown(): NodeRecord[] {
    return this.states.flatMap((s) => [...s.records.values()].filter(this.filter));
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
    this.queuedBytes = 0;
    for (const s of this.states) s.source.close();
    this.releaseIdle();
  }

  /** Resolves when every batch received so far has been applied. */
  idle(): Promise<void> {
    if (!this.draining && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private releaseIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private push(state: SourceState, batch: SourceBatch): void {
    if (this.stopped) return;
    const bytes = batchBytes(batch);
    this.queue.push({ state, batch, bytes });
    this.queuedBytes += bytes;
    if (!this.paused && (this.queue.length >= highWater || this.queuedBytes >= highWaterBytes)) {
      this.paused = true;
      for (const s of this.states) s.source.pause();
    }
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let item = this.queue.shift(); item !== undefined && !this.stopped; item = this.queue.shift()) {
        this.queuedBytes -= item.bytes;
        await this.apply(item.state, item.batch);
        // The output is full: wait until it drains before taking the next batch.
        const ready = this.handlers.ready?.();
        if (ready) await ready;
        if (this.paused && this.queue.length <= lowWater && this.queuedBytes <= lowWaterBytes) {
          this.paused = false;
          for (const s of this.states) s.source.resume();
        }
      }
    } catch (e) {
      this.handlers.failed(e);
    } finally {
      this.draining = false;
      this.releaseIdle();
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private noteRevision(revision: string): void {
    if (BigInt(revision) > BigInt(this.revision)) this.revision = revision;
  }

  private async apply(state: SourceState, batch: SourceBatch): Promise<void> {
    switch (batch.kind) {
      case 'status':
        this.handlers.status(batch.state, batch.detail);
        return;
      case 'failed':
        this.handlers.failed(batch.error);
        return;
      case 'snapshot':
        return this.applySnapshot(state, batch.kvs, batch.revision, batch.resync);
      case 'changes':
        return this.applyChanges(state, batch.changes);
    }
  }

  private async applySnapshot(state: SourceState, kvs: readonly RawKeyValue[], revision: string, resync: boolean): Promise<void> {
    const next = new Map<string, NodeRecord>();
    for (const kv of kvs) {
      const d = decodeRecordIn(state.source.spaces, kv);
      if (d.kind === 'record') next.set(kv.key, d.record);
      else if (d.kind === 'malformed') this.handlers.malformed(d.malformed);
    }
    this.noteRevision(revision);
    const before = new Map([...state.records].filter(([, r]) => this.filter(r)));
    const after = new Map([...next].filter(([, r]) => this.filter(r)));
    state.records = next;
    // The first read is the starting point: shown as creates only with --initial.
    if (!resync && !this.options.initial) return;
    const time = this.now();
    const reasons = new Map<string, Promise<DeleteReason | undefined>>();
    for (const change of diffRecords(before, after, { byValue: state.source.quietRewrites === true })) {
      const event: RegistryEvent = { ...change, revision, time };
      if (resync) event.resync = true;
      if (change.action === 'delete') {
        const reason = change.record.layout === 'v2' ? v2GoneReason(change.record, time) : await this.reasonFor(state, change.record.lease, reasons);
        if (reason !== undefined) event.reason = reason;
      }
      this.handlers.event(event);
    }
  }

  private async applyChanges(state: SourceState, changes: readonly SourceChange[]): Promise<void> {
    // An expiring lease deletes all of its keys in one revision: ask about each lease once per batch,
    // and ask about a batch's leases together, before its events go out in order.
    const reasons = new Map<string, Promise<DeleteReason | undefined>>();
    for (const change of changes) {
      if (reasons.size >= maxLeaseLookupsAhead) break;
      if (change.kind !== 'delete' || change.reason !== undefined) continue;
      const known = state.records.get(change.key);
      if (known !== undefined && !this.filter(known)) continue;
      void this.reasonFor(state, change.prev?.lease ?? known?.lease, reasons);
    }
    for (const change of changes) {
      this.noteRevision(change.revision);
      if (change.kind === 'deleteDir') {
        this.applyDirDelete(state, change.dir, change.revision, change.reason);
        continue;
      }
      const key = change.kind === 'put' ? change.kv.key : change.key;
      const was = state.records.get(key);
      const wasShown = was !== undefined && this.filter(was);
      if (change.kind === 'put') {
        const d = decodeRecordIn(state.source.spaces, change.kv);
        if (d.kind === 'foreign') continue;
        if (d.kind === 'malformed') {
          this.handlers.malformed(d.malformed);
          state.records.delete(key);
          if (wasShown) this.handlers.event({ action: 'delete', record: was, revision: change.revision, time: this.now() });
          continue;
        }
        state.records.set(key, d.record);
        const isShown = this.filter(d.record);
        // A TTL heartbeat re-writing what is shown: the state takes its new TTL, the viewer sees nothing.
        if (isShown && wasShown && state.source.quietRewrites && sameValue(was, d.record)) continue;
        if (isShown && wasShown) this.handlers.event({ action: 'update', record: d.record, previous: was, revision: change.revision, time: this.now() });
        else if (isShown) this.handlers.event({ action: 'create', record: d.record, revision: change.revision, time: this.now() });
        else if (wasShown) this.handlers.event({ action: 'delete', record: was, revision: change.revision, time: this.now() });
        continue;
      }
      state.records.delete(key);
      let gone = was;
      if (gone === undefined && change.prev !== undefined) {
        const d = decodeRecordIn(state.source.spaces, change.prev);
        if (d.kind === 'record') gone = d.record;
      }
      if (gone === undefined || !this.filter(gone)) continue;
      const event: RegistryEvent = { action: 'delete', record: gone, revision: change.revision, time: this.now() };
      const reason = change.reason ?? (await this.reasonFor(state, change.prev?.lease ?? gone.lease, reasons));
      if (reason !== undefined) event.reason = reason;
      this.handlers.event(event);
    }
  }

  /** Every record below a directory that went, as deletes in key order. */
  private applyDirDelete(state: SourceState, dir: string, revision: string, reason: DeleteReason): void {
    const under = dir.endsWith('/') ? dir : `${dir}/`;
    const gone = [...state.records.keys()].filter((k) => k.startsWith(under)).sort();
    for (const key of gone) {
      const record = state.records.get(key)!;
      state.records.delete(key);
      if (this.filter(record)) this.handlers.event({ action: 'delete', record, revision, time: this.now(), reason });
    }
  }

  /** Format reference 5: no lease means an explicit delete; else a live lease means deregistered, a gone one expired. */
  private reasonFor(state: SourceState, lease: string | undefined, cache: Map<string, Promise<DeleteReason | undefined>>): Promise<DeleteReason | undefined> {
    if (lease === undefined || lease === '0') return Promise.resolve('deregistered');
    const ask = state.source.deleteReason;
    if (!ask) return Promise.resolve(undefined);
    let p = cache.get(lease);
    if (!p) {
      p = ask.call(state.source, lease).catch(() => undefined);
      cache.set(lease, p);
    }
    return p;
  }
}

/**
 * Why a v2 node found gone by a resync went, as far as its last known TTL tells: a key without a TTL, or
 * gone before its deadline, was deleted; one gone after its deadline has most likely expired, but a TTL
 * refresh (which etcd does not report to watchers) may have moved the deadline, so that is not said.
 */
export function v2GoneReason(record: NodeRecord, at: Date): DeleteReason | undefined {
  if (record.expiration === undefined) return 'deregistered';
  const deadline = Date.parse(record.expiration);
  if (Number.isNaN(deadline)) return undefined;
  return at.getTime() < deadline ? 'deregistered' : undefined;
}
