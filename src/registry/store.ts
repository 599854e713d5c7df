// What register and deregister need from a registry backend, apart from reads: write a node's records
// on a TTL, keep them alive, take them away, and delete only what was shown. The v3 layouts (micro,
// domain, legacy) implement it over etcd's gRPC API with leases (src/registry/v3/store.ts); the v2
// layout over etcd's HTTP keys API, with TTLs on keys and compare-and-delete on modifiedIndex
// (src/registry/v2/store.ts). src/registry/store-for-layout.ts picks the store for a layout.
import type { Layout, NodeRecord, Service } from './model.js';

/** One key as it will be written: the exact bytes and the single-node service they hold. */
export interface EncodedRecord {
  key: string;
  value: string;
  service: Service;
}

/** What a write left in etcd, handed back to renew and remove. */
export interface Written {
  records: readonly EncodedRecord[];
  /** Seconds; 0 = no TTL, the records never expire. */
  ttl: number;
  /** v3: the lease id (decimal) the records are on; absent without a TTL, and in the v2 layout. */
  lease?: string;
  /**
   * v2: each key's modifiedIndex as we last set or refreshed it (renew keeps it current). v2 keys have
   * no lease to compare, so a key is ours while it still has this index; one written by someone else
   * since is dropped from here and left alone.
   */
  v2Indexes?: Map<string, number>;
  /**
   * v3: each key's mod revision as we last wrote it. A key is ours while it still has it: one deleted or
   * written by someone else since is written back by a keepalive, and left alone at removal.
   */
  modRevisions?: Map<string, string>;
}

/** A watch on the keys a keepalive holds. */
export interface OwnWatch {
  stop(): void;
  /** The stream ended (etcd away, member lost): open another. */
  ended(): boolean;
}

/** What remove() did, key by key. */
export interface RemovalReport {
  removed: string[];
  /** Not ours any more: written by someone else since (`changed`) or already gone (`gone`). */
  kept: { key: string; reason: 'changed' | 'gone' }[];
}

/** A key of ours that a keepalive found deleted or replaced, and what it did about it. */
export interface Reclaim {
  key: string;
  /** Why it was not ours any more, for the message. */
  reason: string;
  /** Written back (false: it changed again while we looked; the next round looks again). */
  rewritten: boolean;
}

export interface RemovalOutcome {
  record: NodeRecord;
  removed: boolean;
  /** When kept: `changed` (written again since it was read) or `gone` (no longer there). */
  reason?: 'changed' | 'gone';
}

/**
 * One write of `apply`: put `value` (or, without one, delete) only while the key is still as it was
 * read: at `modRevision` (v2: modifiedIndex), or absent for "0".
 */
export interface PlannedWrite {
  key: string;
  layout: Layout;
  value?: string;
  modRevision: string;
}

export interface WriteOutcome {
  write: PlannedWrite;
  done: boolean;
  /** When not done: `changed` (written since it was read, or created meanwhile) or `gone` (deleted meanwhile). */
  reason?: 'changed' | 'gone';
}

/** What applyWrites did: each write's outcome, and the lease (v3) or key indexes (v2) of what it put, for a keepalive. */
export interface AppliedWrites {
  outcomes: WriteOutcome[];
  lease?: string;
  v2Indexes?: Map<string, number>;
}

export interface RecordStore {
  /** Writes the records (all or none) on a fresh TTL of `ttl` seconds, or without one for 0. */
  write(records: readonly EncodedRecord[], ttl: number): Promise<Written>;
  /** Renews the TTL once; false when it was lost (expired or revoked) and the records must be written again. */
  renew(written: Written): Promise<boolean>;
  /** Takes the records away, but only those still written by us, and releases the TTL; says what went. */
  remove(written: Written): Promise<RemovalReport>;
  /**
   * Before a keepalive writes: refuses (ConflictError) when a key is held by another writer that is
   * alive (v3: a key on another lease that has not expired). Absent where the layout cannot tell.
   */
  claim?(records: readonly EncodedRecord[]): Promise<void>;
  /** Writes back each key of ours that was deleted or replaced since we wrote it; says which. */
  reclaim?(written: Written): Promise<Reclaim[]>;
  /** Calls `changed` soon after a key of ours is deleted or written by someone else, until stopped or lost. */
  watchOwn?(written: Written, changed: () => void, fromNow?: boolean): Promise<OwnWatch>;
  /** Deletes every record that is unchanged since it was read, in one transaction; reports each. */
  removeIfUnchanged(records: readonly NodeRecord[]): Promise<RemovalOutcome[]>;
  /** apply: each write carried out only if its key is unchanged since read; puts on a fresh TTL of `ttl` seconds (0: none). */
  applyWrites(writes: readonly PlannedWrite[], ttl: number): Promise<AppliedWrites>;
}
