// The record store for a layout: the v3 store, the v2 store, or (for removals and applies of records
// read under --layout auto) each record through the API it was read from.
import { UnavailableError } from '../errors.js';
import type { Layout, NodeRecord } from './model.js';
import type { AppliedWrites, EncodedRecord, RecordStore, Written } from './store.js';
import type { EtcdClient } from './v3/client.js';
import { V3Store } from './v3/store.js';
import type { V2Client } from './v2/client.js';
import { V2Store } from './v2/store.js';

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
