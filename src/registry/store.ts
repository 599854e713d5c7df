// What register and deregister need from a registry backend, apart from reads: write a node's records
// on a TTL, keep them alive, take them away, and delete only what was shown. The v3 layouts (micro,
// domain, legacy) implement it over etcd's gRPC API with leases; the v2 layout over etcd's HTTP keys
// API, with TTLs on keys and compare-and-delete on modifiedIndex.
import { ConflictError, UnavailableError, UsageError } from '../errors.js';
import { leaseHex } from './codec.js';
import type { EtcdClient } from './v3/client.js';
import type { Layout, NodeRecord, Service } from './model.js';
import type { V2ApiError, V2Client } from './v2/client.js';

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

/** The v3 layouts: one lease per invocation shared by its records (as go-plugins' etcdv3 shares one per service). */
export class V3Store implements RecordStore {
  constructor(private readonly client: EtcdClient) {}

  async write(records: readonly EncodedRecord[], ttl: number): Promise<Written> {
    const lease = ttl > 0 ? await this.client.grant(ttl) : undefined;
    let modRevisions: string[];
    try {
      modRevisions = (await this.client.putAll(records, lease)).modRevisions;
    } catch (e) {
      // Refused (a user who may not write there) or unanswered: revoking the lease takes every key put
      // on it in one step, whichever batches went through, rather than leave them until the TTL ends
      // (best effort). Without a lease, the batches that went through are deleted (best effort too).
      if (lease !== undefined) await this.client.revoke(lease).catch(() => undefined);
      else if (records.length > 1) await this.client.deleteEachIf(records.map((r) => ({ key: r.key, lease: '0' }))).catch(() => undefined);
      throw e;
    }
    const ours = new Map(records.map((r, i) => [r.key, modRevisions[i]!]));
    return lease === undefined ? { records, ttl, modRevisions: ours } : { records, ttl, lease, modRevisions: ours };
  }

  async claim(records: readonly EncodedRecord[]): Promise<void> {
    const now = await this.client.keyStates(records.map((r) => r.key));
    for (const r of records) {
      const held = now.get(r.key);
      if (held === undefined || held.lease === '0') continue;
      const left = await this.client.leaseTtl(held.lease);
      if (left <= 0) continue;
      const node = r.service.nodes[0]!.id;
      throw new ConflictError(
        `node ${node} of ${r.service.name} is held by another lease (${leaseHex(held.lease)}, ${left}s left): another register --keepalive or a go-micro server keeps it alive`,
        `stop that process first, or use another --id; if it is gone, the record expires within ${left}s, or run micro-reg deregister ${r.service.name} --node ${node} --yes`,
      );
    }
  }

  async reclaim(written: Written): Promise<Reclaim[]> {
    const ours = written.modRevisions;
    if (ours === undefined) return [];
    const now = await this.client.keyStates(written.records.map((r) => r.key));
    const out: Reclaim[] = [];
    for (const r of written.records) {
      const held = now.get(r.key);
      if (held !== undefined && held.modRevision === ours.get(r.key)) continue;
      const reason =
        held === undefined
          ? `deleted while ${written.lease === undefined ? 'registered' : `lease ${leaseHex(written.lease)} lives`}`
          : `replaced by another writer (${held.lease === '0' ? 'without a lease' : `on lease ${leaseHex(held.lease)}`})`;
      const revision = await this.client.putIfUnchanged(r.key, r.value, held?.modRevision ?? '0', written.lease);
      if (revision !== undefined) ours.set(r.key, revision);
      out.push({ key: r.key, reason, rewritten: revision !== undefined });
    }
    return out;
  }

  /** From our last write on; `fromNow`, from the current revision (the keys were just looked at: history may be compacted). */
  async watchOwn(written: Written, changed: () => void, fromNow = false): Promise<OwnWatch> {
    const ours = written.modRevisions;
    if (ours === undefined || written.records.length === 0) return { stop: () => undefined, ended: () => false };
    const keys = written.records.map((r) => r.key);
    let from = 0n;
    for (const rev of ours.values()) if (BigInt(rev) > from) from = BigInt(rev);
    // start_revision 0 is etcd's "from the next revision on".
    const stream = await this.client.openWatch(commonPrefix(keys), fromNow ? '0' : (from + 1n).toString(), {
      events: (events) => {
        // Our own write-backs come by too: only a change we did not make is news.
        if (events.some((e) => ours.has(e.kv.key) && (e.type === 'delete' || ours.get(e.kv.key) !== e.kv.modRevision))) changed();
      },
      progress: () => undefined,
    });
    // A lost stream is reopened by the keepalive once etcd answers again; it looks at its keys on every
    // renewal anyway, so what changed meanwhile is found then.
    let ended = false;
    void stream.done.then(() => (ended = true));
    return { stop: () => stream.close(), ended: () => ended };
  }

  async renew(written: Written): Promise<boolean> {
    if (written.lease === undefined) return true;
    return (await this.client.keepAliveOnce(written.lease)) > 0;
  }

  async remove(written: Written): Promise<RemovalReport> {
    // A key written since by someone else (another lease, or a put on ours) is theirs now: only delete
    // keys still at the mod revision we gave them; without one, those still on our lease.
    const ours = written.modRevisions;
    const outcomes = await this.client.deleteEachIf(
      written.records.map((r) => (ours?.has(r.key) ? { key: r.key, modRevision: ours.get(r.key)! } : { key: r.key, lease: written.lease ?? '0' })),
    );
    if (written.lease !== undefined) {
      await this.client.revoke(written.lease).catch((e: unknown) => {
        // An expired lease is already gone: nothing left to release.
        if (!/lease not found/i.test((e as Error).message)) throw e;
      });
    }
    return {
      removed: outcomes.filter((o) => o.deleted).map((o) => o.key),
      kept: outcomes.filter((o) => !o.deleted).map((o) => ({ key: o.key, reason: o.now ? 'changed' : 'gone' })),
    };
  }

  async removeIfUnchanged(records: readonly NodeRecord[]): Promise<RemovalOutcome[]> {
    // The exact bytes read: a key that is not UTF-8 is deleted as itself, never as its U+FFFD look-alike.
    const outcomes = await this.client.deleteEachIf(records.map((r) => ({ key: r.key, modRevision: r.modRevision ?? '0', ...(r.keyBytes && { keyBytes: r.keyBytes }) })));
    return records.map((record, i) => {
      const o = outcomes[i]!;
      if (o.deleted) return { record, removed: true };
      return { record, removed: false, reason: o.now ? 'changed' : 'gone' };
    });
  }

  async applyWrites(writes: readonly PlannedWrite[], ttl: number): Promise<AppliedWrites> {
    if (writes.length === 0) return { outcomes: [] };
    const puts = writes.some((w) => w.value !== undefined);
    const lease = ttl > 0 && puts ? await this.client.grant(ttl) : undefined;
    const outcomes = await this.client
      .changeEachIf(writes.map((w) => ({ key: w.key, modRevision: w.modRevision, ...(w.value !== undefined ? { put: { value: w.value, ...(lease !== undefined ? { lease } : {}) } } : {}) })))
      .catch(async (e: unknown) => {
        if (lease !== undefined) await this.client.revoke(lease).catch(() => undefined);
        throw e;
      });
    // A lease that holds no key (every put was refused) is released rather than left to expire.
    const heldOnLease = outcomes.some((o, i) => o.done && writes[i]!.value !== undefined);
    if (lease !== undefined && !heldOnLease) await this.client.revoke(lease).catch(() => undefined);
    const out: AppliedWrites = {
      outcomes: writes.map((write, i) => {
        const o = outcomes[i]!;
        if (o.done) return { write, done: true };
        return { write, done: false, reason: o.now ? 'changed' : 'gone' };
      }),
    };
    if (lease !== undefined && heldOnLease) out.lease = lease;
    return out;
  }
}

/** The directory of a node key: the service directory the plugin creates before its keys. */
function parentDir(key: string): string {
  return key.slice(0, key.lastIndexOf('/'));
}

/**
 * The v2 layout, as go-plugins' `registry/etcd` writes it: the service directory (dir=true; 102 "Not
 * a file" when it exists), then each node key with a TTL (none for --ttl 0). v2 has no leases and no
 * transactions: renew refreshes each key's TTL, and every delete compares the key's modifiedIndex.
 */
export class V2Store implements RecordStore {
  constructor(private readonly v2: V2Client) {}

  async write(records: readonly EncodedRecord[], ttl: number): Promise<Written> {
    const ours = new Map<string, number>();
    try {
      for (const dir of new Set(records.map((r) => parentDir(r.key)))) await this.v2.createDir(dir);
      for (const r of records) ours.set(r.key, (await this.v2.set(r.key, r.value, { ttlSeconds: ttl })).node.modifiedIndex);
    } catch (e) {
      // No transactions: take back what was set so that a failed write leaves nothing (best effort;
      // if etcd stopped answering, the keys' TTL still ends them). When etcd did not answer the first
      // request, nothing of ours is there, and asking again would only double the wait for exit 4.
      // A plain key where the service directory goes (UsageError) was refused before anything was
      // written: no clean-up, whose DELETE ?dir=true would remove that very key.
      if (ours.size > 0 || !(e instanceof UnavailableError || e instanceof UsageError)) await this.deleteOurs(records, ours).catch(() => undefined);
      throw e;
    }
    return { records, ttl, v2Indexes: ours };
  }

  async renew(written: Written): Promise<boolean> {
    const ours = written.v2Indexes;
    if (written.ttl === 0 || ours === undefined) return true;
    for (const r of written.records) {
      const index = ours.get(r.key);
      if (index === undefined) continue;
      const outcome = await this.v2.refreshTtl(r.key, written.ttl, index);
      if (outcome.refreshed) ours.set(r.key, outcome.modifiedIndex);
      // Written since by someone else (a node re-registering under the same id): theirs now, as a v3 key
      // put on another lease is; it is neither refreshed nor deleted by us any more.
      else if (outcome.reason === 'changed') ours.delete(r.key);
      // Expired or deleted: like a lost lease, the records are written again.
      else return false;
    }
    return true;
  }

  async remove(written: Written): Promise<RemovalReport> {
    return this.deleteOurs(written.records, written.v2Indexes ?? new Map());
  }

  async removeIfUnchanged(records: readonly NodeRecord[]): Promise<RemovalOutcome[]> {
    const outcomes: RemovalOutcome[] = [];
    for (const record of records) {
      // Records read through the v2 API carry the key's modifiedIndex in modRevision.
      const o = await this.v2.compareAndDelete(record.key, Number(record.modRevision));
      outcomes.push(o.deleted ? { record, removed: true } : { record, removed: false, reason: o.reason ?? 'gone' });
    }
    await this.deleteEmptyDirs(records.map((r) => r.key));
    return outcomes;
  }

  async applyWrites(writes: readonly PlannedWrite[], ttl: number): Promise<AppliedWrites> {
    const outcomes: WriteOutcome[] = [];
    const v2Indexes = new Map<string, number>();
    for (const write of writes) {
      const index = Number(write.modRevision);
      if (write.value === undefined) {
        const o = await this.v2.compareAndDelete(write.key, index);
        outcomes.push(o.deleted ? { write, done: true } : { write, done: false, reason: o.reason ?? 'gone' });
        continue;
      }
      if (index === 0) await this.v2.createDir(parentDir(write.key));
      try {
        // v2 has no transactions: create only if absent (prevExist=false), replace only that version (prevIndex).
        const set = await this.v2.set(write.key, write.value, index === 0 ? { ttlSeconds: ttl, prevExist: false } : { ttlSeconds: ttl, prevIndex: index });
        v2Indexes.set(write.key, set.node.modifiedIndex);
        outcomes.push({ write, done: true });
      } catch (e) {
        // V2ApiError by shape: importing v2/client.ts here would load Node's HTTP stack into every v3 run.
        const code = (e as Partial<V2ApiError>).errorCode;
        // 105 node exists (created meanwhile), 101 compare failed (written since): theirs now.
        if (code === 105 || code === 101) outcomes.push({ write, done: false, reason: 'changed' });
        // 100 key not found: deleted or expired since it was read.
        else if (code === 100) outcomes.push({ write, done: false, reason: 'gone' });
        else throw e;
      }
    }
    const deleted = outcomes.filter((o) => o.done && o.write.value === undefined).map((o) => o.write.key);
    if (deleted.length > 0) await this.deleteEmptyDirs(deleted);
    return { outcomes, v2Indexes };
  }

  /** Deletes each key still at the index we gave it, then the service directories left empty. */
  private async deleteOurs(records: readonly EncodedRecord[], ours: Map<string, number>): Promise<RemovalReport> {
    const report: RemovalReport = { removed: [], kept: [] };
    for (const r of records) {
      const index = ours.get(r.key);
      if (index === undefined) {
        report.kept.push({ key: r.key, reason: 'changed' });
        continue;
      }
      const o = await this.v2.compareAndDelete(r.key, index);
      if (o.deleted) report.removed.push(r.key);
      else report.kept.push({ key: r.key, reason: o.reason ?? 'gone' });
    }
    await this.deleteEmptyDirs(records.map((r) => r.key));
    return report;
  }

  /** As the plugin's deregister: DELETE ?dir=true, which etcd refuses (108) while other nodes remain. */
  private async deleteEmptyDirs(keys: readonly string[]): Promise<void> {
    for (const dir of new Set(keys.map(parentDir))) await this.v2.deleteDir(dir);
  }
}

/** The two APIs a store writes through; the Registry holds both. */
export interface StoreBackends {
  client: EtcdClient;
  v2: V2Client;
}

/**
 * The store for the layout records are written to. Removal of records that were read goes through
 * the API each record was read from: `--layout auto` reads v3 and v2 records together, and a v2 key
 * must never be compared or deleted in the v3 keyspace (legacy keys share its prefix).
 */
export function recordStore(layout: Layout, backends: StoreBackends): RecordStore {
  // Each store (and so each client) is made on first use: most runs touch one API only.
  let v3Store: V3Store | undefined;
  let v2Store: V2Store | undefined;
  const v3 = (): V3Store => (v3Store ??= new V3Store(backends.client));
  const v2 = (): V2Store => (v2Store ??= new V2Store(backends.v2));
  const writer = (): RecordStore => (layout === 'v2' ? v2() : v3());
  return {
    write: (records, ttl) => writer().write(records, ttl),
    renew: (written) => writer().renew(written),
    remove: (written) => writer().remove(written),
    ...(layout === 'v2'
      ? {}
      : {
          claim: (records: readonly EncodedRecord[]) => v3().claim(records),
          reclaim: (written: Written) => v3().reclaim(written),
          watchOwn: (written: Written, changed: () => void, fromNow?: boolean) => v3().watchOwn(written, changed, fromNow),
        }),
    async removeIfUnchanged(records) {
      const isV2 = (r: NodeRecord): boolean => r.layout === 'v2';
      const v3Records = records.filter((r) => !isV2(r));
      const v2Records = records.filter(isV2);
      const [v3Outcomes, v2Outcomes] = await Promise.all([
        v3Records.length > 0 ? v3().removeIfUnchanged(v3Records) : [],
        v2Records.length > 0 ? v2().removeIfUnchanged(v2Records) : [],
      ]).catch((e: unknown) => {
        // No answer is no proof either way: a request that reached etcd may still be carried out
        // (a frozen etcd applies what it had received when it resumes; v2 HTTP requests cannot be withdrawn).
        if (!(e instanceof UnavailableError)) throw e;
        const names = [...new Set(records.map((r) => r.service.name))].join(' ');
        throw new UnavailableError(`the removal was not confirmed: ${e.message}`, `etcd may still carry out a delete it received; run micro-reg get ${names} to see what is left`);
      });
      // Back in the order the records were given.
      return records.map((r) => (isV2(r) ? v2Outcomes : v3Outcomes).shift()!);
    },
    async applyWrites(writes, ttl) {
      const v3Writes = writes.filter((w) => w.layout !== 'v2');
      const v2Writes = writes.filter((w) => w.layout === 'v2');
      const v3Done = v3Writes.length > 0 ? await v3().applyWrites(v3Writes, ttl) : { outcomes: [] };
      const v2Done = v2Writes.length > 0 ? await v2().applyWrites(v2Writes, ttl) : { outcomes: [] };
      const out: AppliedWrites = { outcomes: writes.map((w) => (w.layout === 'v2' ? v2Done.outcomes : v3Done.outcomes).shift()!) };
      if ('lease' in v3Done && v3Done.lease !== undefined) out.lease = v3Done.lease;
      if ('v2Indexes' in v2Done && v2Done.v2Indexes !== undefined) out.v2Indexes = v2Done.v2Indexes;
      return out;
    },
  };
}

/** The longest prefix all keys share: one watch covers a Service file's nodes. */
function commonPrefix(keys: readonly string[]): string {
  let prefix = keys[0]!;
  for (const k of keys) while (!k.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
