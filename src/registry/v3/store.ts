// The record store (src/registry/store.ts) of the v3 layouts (micro, domain, legacy), over etcd's gRPC
// API: records on a lease, renewed by keepalive, removed only when unchanged since read.
import { ConflictError } from '../../errors.js';
import { leaseHex } from '../codec.js';
import type { EtcdClient } from './client.js';
import type { NodeRecord } from '../model.js';
import type { AppliedWrites, EncodedRecord, OwnWatch, PlannedWrite, Reclaim, RecordStore, RemovalOutcome, RemovalReport, Written } from '../store.js';

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

/** The longest prefix all keys share: one watch covers a Service file's nodes. */
function commonPrefix(keys: readonly string[]): string {
  let prefix = keys[0]!;
  for (const k of keys) while (!k.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
