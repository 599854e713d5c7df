// What register and deregister need from a registry backend, apart from reads: write a node's records
// on a TTL, keep them alive, take them away, and delete only what was shown. The v3 layouts (micro,
// domain, legacy) implement it over etcd's gRPC API with leases; a v2 backend (etcd's HTTP keys API,
// TTLs on keys, compare-and-delete on modifiedIndex) can implement the same interface.
import { UsageError } from '../errors.js';
import type { EtcdClient } from './client.js';
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
  /** v3: the lease id (decimal) the records are on; absent without a TTL. */
  lease?: string;
}

export interface RemovalOutcome {
  record: NodeRecord;
  removed: boolean;
  /** When kept: `changed` (written again since it was read) or `gone` (no longer there). */
  reason?: 'changed' | 'gone';
}

export interface RecordStore {
  /** Writes the records (all or none) on a fresh TTL of `ttl` seconds, or without one for 0. */
  write(records: readonly EncodedRecord[], ttl: number): Promise<Written>;
  /** Renews the TTL once; false when it was lost (expired or revoked) and the records must be written again. */
  renew(written: Written): Promise<boolean>;
  /** Takes the records away, but only those still written by us, and releases the TTL. */
  remove(written: Written): Promise<void>;
  /** Deletes every record that is unchanged since it was read, in one transaction; reports each. */
  removeIfUnchanged(records: readonly NodeRecord[]): Promise<RemovalOutcome[]>;
}

/** The v3 layouts: one lease per invocation shared by its records (as go-plugins' etcdv3 shares one per service). */
export class V3Store implements RecordStore {
  constructor(private readonly client: EtcdClient) {}

  async write(records: readonly EncodedRecord[], ttl: number): Promise<Written> {
    const lease = ttl > 0 ? await this.client.grant(ttl) : undefined;
    await this.client.putAll(records, lease);
    return lease === undefined ? { records, ttl } : { records, ttl, lease };
  }

  async renew(written: Written): Promise<boolean> {
    if (written.lease === undefined) return true;
    return (await this.client.keepAliveOnce(written.lease)) > 0;
  }

  async remove(written: Written): Promise<void> {
    if (written.lease === undefined) {
      await this.client.deleteEachIf(written.records.map((r) => ({ key: r.key, lease: '0' })));
      return;
    }
    // A key re-registered by someone else on another lease is theirs now: only delete ours.
    await this.client.deleteEachIf(written.records.map((r) => ({ key: r.key, lease: written.lease })));
    await this.client.revoke(written.lease).catch((e: unknown) => {
      // An expired lease is already gone: nothing left to release.
      if (!/lease not found/i.test((e as Error).message)) throw e;
    });
  }

  async removeIfUnchanged(records: readonly NodeRecord[]): Promise<RemovalOutcome[]> {
    const outcomes = await this.client.deleteEachIf(records.map((r) => ({ key: r.key, modRevision: r.modRevision ?? '0' })));
    return records.map((record, i) => {
      const o = outcomes[i]!;
      if (o.deleted) return { record, removed: true };
      return { record, removed: false, reason: o.now ? 'changed' : 'gone' };
    });
  }
}

/** The store for the layout records are written to. */
export function recordStore(layout: Layout, client: EtcdClient): RecordStore {
  if (layout === 'v2') {
    throw new UsageError('--layout v2 cannot register or deregister yet', 'use a v3 layout: micro, domain or legacy');
  }
  return new V3Store(client);
}
