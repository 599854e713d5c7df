// The record store (src/registry/store.ts) of the v2 layout, over etcd's HTTP keys API: TTLs on keys,
// every delete compared on the key's modifiedIndex.
import { UnavailableError, UsageError } from '../../errors.js';
import type { V2Client } from './client.js';
import type { V2ApiError } from './keys-api.js';
import type { NodeRecord } from '../model.js';
import type { AppliedWrites, EncodedRecord, PlannedWrite, RecordStore, RemovalOutcome, RemovalReport, WriteOutcome, Written } from '../store.js';

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
